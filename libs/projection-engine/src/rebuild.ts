import type { DataSource, QueryRunner } from 'typeorm';
import type { EventStore, LogPosition } from '@app/event-store';
import { DEFAULT_PROJECTION_MEMORY_ROWS } from '@app/platform';
import { applyInTransaction, applyWithin, ensureCheckpoint, inTransaction } from './apply-batch';
import { CHECKPOINT_TABLE, positionOf, rebuildCheckpointName } from './checkpoints';
import { foldInOnePass, OnePassMemory } from './one-pass';
import { READ_MODEL_SCHEMA, type Projection } from './projection';
import { SAFE_FORM_TABLE } from './safe-form';

export interface RebuildProgress {
  readonly projection: string;
  /** Events applied to the fresh copy so far. */
  readonly applied: number;
  readonly position: LogPosition;
  /** Head of the log when the rebuild started; the copy catches up past it before the switch. */
  readonly head: LogPosition;
}

export interface RebuildResult {
  readonly projection: string;
  readonly applied: number;
  readonly position: LogPosition;
  readonly seconds: number;
}

/** The rebuild lost the lock that makes it the only rebuild of its projection: another may be running. */
export class RebuildInterruptedError extends Error {
  override readonly name = 'RebuildInterruptedError';
}

/**
 * Statements that finish a rebuild's copy (finishingOf: keys, indexes, ANALYZE) run at once, each
 * on a connection of its own. It is PostgreSQL's work alone, while the service waits: one index
 * after the other took about a fifth of a CRT registry rebuild, two at a time a quarter less
 * (bench/README.md, "The CRT registry's rebuild").
 */
const FINISHING_AT_ONCE = 2;

/**
 * Each finishing statement runs without PostgreSQL's parallel maintenance workers: its lanes are
 * the parallelism. Two workers beside each of two lanes made six processes for two cores, and
 * their start, their shares' merge and the leader's wait cost CPU for no shorter build: the CRT
 * registry's index builds took a fifth more of PostgreSQL's CPU with them (3.6-4.1 s against
 * 2.8-3.3; bench/README.md, "The CRT registry's rebuild: where each µs goes, and its index
 * builds without parallel workers (twenty-second session)").
 */
const FINISHING_SETTINGS = 'SET LOCAL max_parallel_maintenance_workers = 0';

/** Runs `work` on every item, at most `limit` at a time; after a failure starts no more, and rejects with it once those running have ended. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      try {
        await work(items[next++]);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  const outcomes = await Promise.allSettled(lanes);
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}

/**
 * The definitions of a table's own triggers (CREATE TRIGGER … ON <schema>.<table> …), which a copy
 * made with LIKE does not take: a read model kept up by triggers (the CRT registry's counts per
 * stage) needs them on the rebuild's copy too, which the switch then moves in with the table.
 */
async function triggersOf(dataSource: DataSource, schema: string, table: string): Promise<string[]> {
  const rows = (await dataSource.query(
    `SELECT pg_get_triggerdef(t.oid) AS definition FROM pg_trigger t
      WHERE t.tgrelid = format('%I.%I', $1::text, $2::text)::regclass AND NOT t.tgisinternal ORDER BY t.tgname`,
    [schema, table],
  )) as Array<{ definition: string }>;
  return rows.map((row) => row.definition);
}

const rebuildSchemaOf = (projection: Projection) => `read_models_rebuild_${projection.name.replace(/[^a-z0-9]/gi, '_')}`;

async function indexesOf(runner: QueryRunner, schema: string, table: string): Promise<Array<{ name: string; shape: string }>> {
  const rows = (await runner.query('SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2', [
    schema,
    table,
  ])) as Array<{ indexname: string; indexdef: string }>;
  // An index's shape is its definition without its own name and the table's schema.
  return rows.map((row) => ({
    name: row.indexname,
    shape: row.indexdef.replace(/INDEX \S+ ON \S+\./, 'INDEX ON '),
  }));
}

/**
 * The indexes that only speed up reads (neither the primary key nor a unique one, which the
 * handlers' upserts rely on), each with its definition (CREATE INDEX <name> ON <schema>.<table> ...).
 */
async function secondaryIndexesOf(dataSource: DataSource, schema: string, table: string): Promise<Array<{ name: string; definition: string }>> {
  return (await dataSource.query(
    `SELECT index.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i
       JOIN pg_class index ON index.oid = i.indexrelid
       JOIN pg_class t ON t.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = $1 AND t.relname = $2 AND NOT i.indisunique
      ORDER BY index.relname`,
    [schema, table],
  )) as Array<{ name: string; definition: string }>;
}

/** The table's primary key, if it has one: its name and definition (PRIMARY KEY (…)). */
async function primaryKeyOf(dataSource: DataSource, schema: string, table: string): Promise<{ name: string; definition: string } | undefined> {
  const [key] = (await dataSource.query(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = format('%I.%I', $1::text, $2::text)::regclass AND contype = 'p'`,
    [schema, table],
  )) as Array<{ name: string; definition: string }>;
  return key;
}

/** A statement that finishes the copy, run once those it `needs` have ended (and not if one of them failed). */
interface Finishing {
  readonly statement: string;
  readonly needs: readonly Finishing[];
  readonly done: Promise<void>;
  end(error?: unknown): void;
}

function finishing(statement: string, needs: readonly Finishing[]): Finishing {
  let end!: (error?: unknown) => void;
  const done = new Promise<void>((resolve, reject) => (end = (error) => (error === undefined ? resolve() : reject(error))));
  // Awaited by those that need it, if any; its failure is reported by the lane that ran it.
  done.catch(() => undefined);
  return { statement, needs, done, end };
}

/**
 * What finishes the copy's tables once they hold the whole log, in an order where each
 * statement comes after those it needs: the primary keys the copy lacks (a one-pass writer may
 * drop one while it writes a table nobody reads yet, and leave it to be built here from all the
 * rows at once: flow-statistics/aggregates/spill.ts), then the live tables' secondary indexes
 * (built once over the whole copy, many times faster than kept up to date row by row; a table's
 * after its key, which locks the table), then ANALYZE of each table after its indexes (a new table
 * has no planner statistics until autovacuum gets to it: queries would be planned blind; ANALYZE
 * and CREATE INDEX of one table exclude each other). The largest tables first in each group, so
 * that the lanes end about together.
 */
async function finishingOf(dataSource: DataSource, schema: string, tables: readonly string[]): Promise<Finishing[]> {
  const bySize = (
    (await dataSource.query(
      `SELECT t AS table FROM unnest($1::text[]) t ORDER BY pg_total_relation_size(format('%I.%I', $2::text, t)::regclass) DESC, t`,
      [[...tables], schema],
    )) as Array<{ table: string }>
  ).map((row) => row.table);
  const keys = new Map<string, Finishing>();
  for (const table of bySize) {
    const key = await primaryKeyOf(dataSource, READ_MODEL_SCHEMA, table);
    if (key && !(await primaryKeyOf(dataSource, schema, table))) {
      keys.set(table, finishing(`ALTER TABLE ${schema}.${table} ADD CONSTRAINT "${key.name}" ${key.definition}`, []));
    }
  }
  const indexes = new Map<string, Finishing[]>();
  for (const table of bySize) {
    const needs = keys.has(table) ? [keys.get(table)!] : [];
    indexes.set(
      table,
      (await secondaryIndexesOf(dataSource, READ_MODEL_SCHEMA, table)).map((index) =>
        finishing(index.definition.replace(` ON ${READ_MODEL_SCHEMA}.${table} `, ` ON ${schema}.${table} `), needs),
      ),
    );
  }
  const analyzed = bySize.map((table) => finishing(`ANALYZE ${schema}.${table}`, [...(keys.has(table) ? [keys.get(table)!] : []), ...indexes.get(table)!]));
  return [...keys.values(), ...[...indexes.values()].flat(), ...analyzed];
}

/**
 * Builds a fresh copy of a projection from the start of the log in a schema of its own, beside
 * the live copy, which keeps answering queries and following the log meanwhile. Once the copy has
 * caught up with the head seen at the start, it gets its secondary indexes and planner
 * statistics; then one transaction locks the live checkpoint (pausing the live runner, in any
 * process, before its next batch), applies what arrived since, swaps the tables in, and moves the
 * live checkpoint to the copy's: the switch is atomic, and the live runner carries on from there.
 * `exclusive` says whether this is still the only rebuild of the projection (the engine's rebuild
 * lock): checked before each batch and the switch; once it is not, the rebuild stops and leaves
 * the copy to whoever took over.
 */
export async function rebuildProjection(
  store: EventStore,
  dataSource: DataSource,
  projection: Projection,
  options: {
    batchSize: number;
    onProgress?: (progress: RebuildProgress) => void;
    exclusive?: () => boolean;
    /** The rows a one-pass writer may keep in memory, shared with the engine's other one-pass folds (DEFAULT_PROJECTION_MEMORY_ROWS alone). */
    memory?: OnePassMemory;
  },
): Promise<RebuildResult> {
  const exclusive = options.exclusive ?? (() => true);
  const stillExclusive = () => {
    if (!exclusive()) throw new RebuildInterruptedError(`The rebuild of ${projection.name} lost its lock; another instance may rebuild it`);
  };
  const started = Date.now();
  const schema = rebuildSchemaOf(projection);
  const checkpoint = rebuildCheckpointName(projection.name);
  await ensureCheckpoint(dataSource, projection.name);
  await dataSource.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await dataSource.query(`CREATE SCHEMA ${schema}`);
  for (const table of projection.tables) {
    await dataSource.query(`CREATE TABLE ${schema}.${table} (LIKE ${READ_MODEL_SCHEMA}.${table} INCLUDING ALL)`);
    // LIKE copies no storage parameters of the table (its indexes' it does): the copy that is
    // switched in keeps the live table's (a fillfactor), as a migration set them.
    const [{ options }] = (await dataSource.query(`SELECT reloptions AS options FROM pg_class WHERE oid = $1::regclass`, [
      `${READ_MODEL_SCHEMA}.${table}`,
    ])) as Array<{ options: string[] | null }>;
    if (options) await dataSource.query(`ALTER TABLE ${schema}.${table} SET (${options.join(', ')})`);
    for (const index of await secondaryIndexesOf(dataSource, schema, table)) await dataSource.query(`DROP INDEX ${schema}."${index.name}"`);
  }
  // After every table is there: a trigger may write another of the projection's tables (the CRT registry's kept counts).
  for (const table of projection.tables) {
    for (const trigger of await triggersOf(dataSource, READ_MODEL_SCHEMA, table)) {
      await dataSource.query(trigger.replace(` ON ${READ_MODEL_SCHEMA}.${table} `, ` ON ${schema}.${table} `));
    }
  }
  await dataSource.query(`DELETE FROM ${CHECKPOINT_TABLE} WHERE name = $1`, [checkpoint]);
  await dataSource.query(`DELETE FROM ${SAFE_FORM_TABLE} WHERE checkpoint = $1`, [checkpoint]);
  await ensureCheckpoint(dataSource, checkpoint, 'rebuilding');

  const head = await store.headPosition();
  let position = positionOf(await ensureCheckpoint(dataSource, checkpoint));
  let applied = 0;
  const writer = projection.rebuildWriter?.();
  try {
    if (writer) {
      const onBatch = (folded: number, at: LogPosition) => options.onProgress?.({ projection: projection.name, applied: folded, position: at, head });
      const pass = await foldInOnePass(store, dataSource, projection, writer, {
        checkpoint,
        schema,
        after: position,
        batchSize: Math.min(options.batchSize, projection.rebuildPageEvents ?? options.batchSize),
        memory: options.memory ?? new OnePassMemory(DEFAULT_PROJECTION_MEMORY_ROWS),
        carryOn: stillExclusive,
        onBatch,
      });
      applied = pass.folded;
      position = pass.position;
    }
    while (!writer) {
      const events = await store.readAll({ after: position, maxCount: options.batchSize, streamPrefixes: projection.streamPrefixes });
      if (events.length === 0) break;
      stillExclusive();
      applied += await applyInTransaction(dataSource, projection, checkpoint, schema, events);
      position = events[events.length - 1].position;
      options.onProgress?.({ projection: projection.name, applied, position, head });
    }
    stillExclusive();
    await inParallel(await finishingOf(dataSource, schema, projection.tables), FINISHING_AT_ONCE, async (step) => {
      try {
        // Those it needs come before it in the list: each is running or has ended.
        await Promise.all(step.needs.map((need) => need.done));
        await inTransaction(dataSource, async (runner) => {
          await runner.query(FINISHING_SETTINGS);
          await runner.query(step.statement);
        });
        step.end();
      } catch (error) {
        step.end(error);
        throw error;
      }
    });
    stillExclusive();
    applied += await switchOver(store, dataSource, projection, schema, checkpoint, options.batchSize);
  } catch (error) {
    // The copy is someone else's once the lock is gone.
    if (!exclusive()) throw error;
    await dataSource.query(`DELETE FROM ${CHECKPOINT_TABLE} WHERE name = $1`, [checkpoint]).catch(() => undefined);
    await dataSource.query(`DELETE FROM ${SAFE_FORM_TABLE} WHERE checkpoint = $1`, [checkpoint]).catch(() => undefined);
    await dataSource.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    throw error;
  }
  const final = positionOf(await ensureCheckpoint(dataSource, projection.name));
  return { projection: projection.name, applied, position: final, seconds: (Date.now() - started) / 1000 };
}

async function switchOver(
  store: EventStore,
  dataSource: DataSource,
  projection: Projection,
  schema: string,
  checkpoint: string,
  batchSize: number,
): Promise<number> {
  return inTransaction(dataSource, async (runner) => {
    let applied = 0;
    await runner.query(`SELECT 1 FROM ${CHECKPOINT_TABLE} WHERE name = $1 FOR UPDATE`, [projection.name]);
    // The last stretch, appended while the copy was being built.
    for (;;) {
      const [row] = await runner.query(`SELECT position_commit::text, position_prepare::text FROM ${CHECKPOINT_TABLE} WHERE name = $1`, [
        checkpoint,
      ]);
      const events = await store.readAll({ after: positionOf(row), maxCount: batchSize, streamPrefixes: projection.streamPrefixes });
      if (events.length === 0) break;
      applied += await applyWithin(runner, projection, checkpoint, schema, events);
    }
    for (const table of projection.tables) {
      const liveIndexes = await indexesOf(runner, READ_MODEL_SCHEMA, table);
      await runner.query(`DROP TABLE ${READ_MODEL_SCHEMA}.${table}`);
      await runner.query(`ALTER TABLE ${schema}.${table} SET SCHEMA ${READ_MODEL_SCHEMA}`);
      // Keep the live index names, which migrations refer to.
      for (const fresh of await indexesOf(runner, READ_MODEL_SCHEMA, table)) {
        const live = liveIndexes.find((index) => index.shape === fresh.shape);
        if (live && live.name !== fresh.name) {
          await runner.query(`ALTER INDEX ${READ_MODEL_SCHEMA}."${fresh.name}" RENAME TO "${live.name}"`);
        }
      }
    }
    const [copy] = await runner.query(
      `SELECT position_commit::text, position_prepare::text, last_event_created_at FROM ${CHECKPOINT_TABLE} WHERE name = $1`,
      [checkpoint],
    );
    await runner.query(
      `UPDATE ${CHECKPOINT_TABLE}
          SET position_commit = $2, position_prepare = $3, last_event_created_at = $4, state = 'catching-up',
              error = NULL, error_position_commit = NULL, error_position_prepare = NULL, error_event_id = NULL, updated_at = now()
        WHERE name = $1`,
      [projection.name, copy.position_commit, copy.position_prepare, copy.last_event_created_at],
    );
    // The copy's notes on events stored in a safe form replace the live copy's.
    await runner.query(`DELETE FROM ${SAFE_FORM_TABLE} WHERE checkpoint = $1`, [projection.name]);
    await runner.query(`UPDATE ${SAFE_FORM_TABLE} SET checkpoint = $1 WHERE checkpoint = $2`, [projection.name, checkpoint]);
    await runner.query(`DELETE FROM ${CHECKPOINT_TABLE} WHERE name = $1`, [checkpoint]);
    await runner.query(`DROP SCHEMA ${schema}`);
    return applied;
  });
}

