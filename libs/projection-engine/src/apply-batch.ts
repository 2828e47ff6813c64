import type { DataSource, QueryRunner } from 'typeorm';
import { comparePositions, type RecordedEvent } from '@app/event-store';
import { connectionOf, queriedWithCallback } from '@app/platform';
import { CHECKPOINT_TABLE, positionOf, type CheckpointRow } from './checkpoints';
import type { Projection } from './projection';
import { SafeFormLog } from './safe-form';

/**
 * Applies events to a projection's tables in `schema` and moves the checkpoint `checkpointName`
 * past them, inside the caller's transaction. Events at or before the checkpoint are skipped, so
 * a batch delivered twice (after a crash, or by two runners) is applied once. The checkpoint
 * row is locked first: whoever holds it is the only writer of that copy until commit. What the
 * projection notes about events stored in a safe form is saved under the same checkpoint name.
 */
export async function applyWithin(
  runner: QueryRunner,
  projection: Projection,
  checkpointName: string,
  schema: string,
  events: readonly RecordedEvent[],
): Promise<number> {
  const [row] = (await runner.query(
    `SELECT position_commit::text, position_prepare::text FROM ${CHECKPOINT_TABLE} WHERE name = $1 FOR UPDATE`,
    [checkpointName],
  )) as Pick<CheckpointRow, 'position_commit' | 'position_prepare'>[];
  if (!row) throw new Error(`No checkpoint ${checkpointName}`);
  const after = positionOf(row);
  const fresh = events.filter((event) => comparePositions(event.position, after) > 0);
  if (fresh.length === 0) return 0;
  const notes = new SafeFormLog();
  const query = <T>(sql: string, parameters?: unknown[]) => queriedWithCallback<T[]>(connectionOf(runner), sql, parameters);
  await projection.apply(fresh, {
    schema,
    query,
    storedInSafeForm: (event, fields) => notes.storedInSafeForm(event, fields),
    leftOut: (event, why) => notes.leftOut(event, why),
  });
  await notes.save(query, checkpointName);
  await moveCheckpoint(runner, checkpointName, fresh[fresh.length - 1]);
  return fresh.length;
}

/** Moves the checkpoint `checkpointName` past `last`, in the caller's transaction. */
export async function moveCheckpoint(runner: QueryRunner, checkpointName: string, last: RecordedEvent): Promise<void> {
  await runner.query(
    `UPDATE ${CHECKPOINT_TABLE}
        SET position_commit = $2, position_prepare = $3, last_event_created_at = $4, updated_at = now()
      WHERE name = $1`,
    [checkpointName, last.position.commit.toString(), last.position.prepare.toString(), last.createdAt],
  );
}

/** applyWithin in a transaction of its own: the read-model changes and the checkpoint commit together. */
export async function applyInTransaction(
  dataSource: DataSource,
  projection: Projection,
  checkpointName: string,
  schema: string,
  events: readonly RecordedEvent[],
): Promise<number> {
  return inTransaction(dataSource, (runner) => applyWithin(runner, projection, checkpointName, schema, events));
}

/** Runs `work` on one connection in one transaction: committed if it resolves, rolled back if not. */
export async function inTransaction<T>(dataSource: DataSource, work: (runner: QueryRunner) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const result = await work(runner);
    await runner.commitTransaction();
    return result;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}

/** Creates the checkpoint row if missing (at the start of the log) and returns it. */
export async function ensureCheckpoint(
  dataSource: DataSource,
  name: string,
  initialState: CheckpointRow['state'] = 'catching-up',
): Promise<CheckpointRow> {
  await dataSource.query(`INSERT INTO ${CHECKPOINT_TABLE} (name, state) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
    name,
    initialState,
  ]);
  const [row] = (await dataSource.query(
    `SELECT name, position_commit::text, position_prepare::text, state, error, error_position_commit::text,
            error_position_prepare::text, error_event_id::text, last_event_created_at, updated_at
       FROM ${CHECKPOINT_TABLE} WHERE name = $1`,
    [name],
  )) as CheckpointRow[];
  return row;
}
