import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { dossierStreamId } from '@app/domain';
import { dossierEventToAppend } from '@app/domain/testing';
import { comparePositions, START_OF_LOG, type EventStore, type ReadAllOptions, type RecordedEvent } from '@app/event-store';
import { PostgresEventStore } from '@app/event-store/postgres';
import { PERSONAL_DATA_MIGRATIONS, PersonalDataProtection } from '@app/personal-data';
import { CHECKPOINT_TABLE, ProjectionEngine, type Projection } from '@app/projection-engine';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import { allProjections } from './all-projections';
import { READ_MODEL_MIGRATIONS } from './schema';
import { historyArbitrary, historyOf } from './testing/generated-histories';

/** The event and everything in it frozen: a projection that changes it in place throws (modules run in strict mode). */
function deepFrozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value) && !(value instanceof Date)) {
    for (const member of Object.values(value)) deepFrozen(member);
    Object.freeze(value);
  }
  return value;
}

/**
 * The projections catching up from empty tables together read each page of the log once, and
 * each gets the same event objects (SharedPages, libs/projection-engine). None may change an
 * event or anything in it: a decrypted personal block written back into a registration would show
 * in another projection's view of it. Here the pages are frozen, the registrations sealed, and what
 * the three build together must be what each builds reading the log alone.
 */
describe('the projections catching up from empty tables together, on the same events', () => {
  let database: Awaited<ReturnType<typeof openReadModelDatabase>>;
  let store: PostgresEventStore;
  const personalData = PersonalDataProtection.withMasterSecret(randomBytes(48));
  const tables = allProjections(personalData).flatMap((projection) => projection.tables);

  beforeAll(async () => {
    database = await openReadModelDatabase([...READ_MODEL_MIGRATIONS, ...PERSONAL_DATA_MIGRATIONS]);
    store = await PostgresEventStore.connect(database.url);
    // Generated histories, each registration's personal block sealed as the service stores it, interleaved one append at a time.
    const histories = fc.sample(historyArbitrary, { seed: 2026, numRuns: 80 }).map((history) => {
      const dossierId = randomUUID();
      return { dossierId, events: historyOf(dossierId, history).events, next: 0 };
    });
    for (let turn = 0; histories.some((history) => history.next < history.events.length); turn++) {
      const waiting = histories.filter((history) => history.next < history.events.length);
      const history = waiting[turn % waiting.length];
      const event = history.events[history.next];
      const data =
        event.type === 'DossierRegistered'
          ? { ...event.data, personal: await personalData.protect(database.context.query, history.dossierId, event.data.personal) }
          : event.data;
      await store.append(dossierStreamId(history.dossierId), [{ ...dossierEventToAppend(event), data }], history.next);
      history.next++;
    }
  });

  afterAll(async () => {
    await store?.close();
    await database?.close();
  });

  /** Every row of every table of the projections, and the notes of events stored in a safe form, in one order. */
  const built = async () => {
    const all: unknown[] = [];
    for (const table of tables) {
      all.push(...(await database.dataSource.query(`SELECT '${table}' AS "table", to_jsonb(t) AS row FROM read_models.${table} t ORDER BY to_jsonb(t)::text`)));
    }
    all.push(...(await database.dataSource.query(`SELECT checkpoint, event_id, fields, left_out FROM read_models.projection_safe_forms ORDER BY checkpoint, event_id`)));
    return all;
  };

  const reset = async () => {
    await database.dataSource.query(`TRUNCATE ${tables.map((table) => `read_models.${table}`).join(', ')}`);
    await database.dataSource.query(`DELETE FROM read_models.projection_safe_forms`);
    await database.dataSource.query(`DELETE FROM ${CHECKPOINT_TABLE}`);
  };

  /**
   * Runs an engine of these projections until each has caught up; what it logged. `log` is given
   * the promise that each projection's one-pass writer has been made (its fold started, reading
   * along): the runners start a moment apart (each takes its lock first). With `stopWhen`, the
   * engine stops when it settles instead, wherever the folds are.
   */
  async function caughtUp(
    log: (allStarted: Promise<void>) => EventStore,
    { names, stopWhen, memoryRows = 60 }: { names?: readonly string[]; stopWhen?: Promise<void>; memoryRows?: number } = {},
  ): Promise<string[]> {
    const logged: string[] = [];
    const chosen = allProjections(personalData).filter((projection) => !names || names.includes(projection.name));
    let started = 0;
    let allStarted!: () => void;
    const starting = new Promise<void>((resolve) => (allStarted = resolve));
    const projections = chosen.map(
      (projection): Projection => ({
        ...projection,
        rebuildWriter: () => {
          if (++started === chosen.length) allStarted();
          return projection.rebuildWriter!();
        },
      }),
    );
    const engine = new ProjectionEngine(log(starting), database.dataSource, projections, {
      batchSize: 40,
      retryDelayMs: 100,
      // Several flushes each, and the pages of the log held while the slowest folds.
      rebuildMemoryRows: memoryRows,
      log: (message: string) => logged.push(message),
    });
    await engine.start();
    try {
      if (stopWhen) await stopWhen;
      else for (const projection of projections) expect(await engine.waitUntilCaughtUp(projection.name, 120_000)).toBe(true);
    } finally {
      await engine.stop();
    }
    return logged;
  }

  it('builds, reading each page once for all three, frozen, what each builds reading the log alone', async () => {
    const reads: ReadAllOptions[] = [];
    // The pages as the store hands them out, frozen; counted. The first once each fold reads along:
    // a page no fold wants yet is let go once the next is read, and a fold starting later reads it again.
    const frozen = (allStarted: Promise<void>): EventStore =>
      Object.create(store, {
        readAll: {
          value: async (options?: ReadAllOptions): Promise<RecordedEvent[]> => {
            if ((options?.maxCount ?? 0) > 1) {
              reads.push(options!);
              if (options?.after && comparePositions(options.after, START_OF_LOG) === 0) await allStarted;
            }
            return deepFrozen(await store.readAll(options));
          },
        },
      });
    await reset();
    expect(await caughtUp(frozen)).toEqual([]);
    const together = await built();
    const pages = reads.length;

    await reset();
    for (const projection of allProjections(personalData)) expect(await caughtUp(() => store, { names: [projection.name] })).toEqual([]);
    expect(together).toEqual(await built());
    expect(together.length).toBeGreaterThan(300);
    // Each page read once, not three times, and the empty one after the last.
    const events = (await store.readAll({ maxCount: 100_000 })).length;
    expect(pages).toBe(Math.ceil(events / 40) + 1);
  });

  it('stopped half-way through the pages read together and started again, builds what each builds alone: no event lost or applied twice in any read model', async () => {
    await reset();
    for (const projection of allProjections(personalData)) expect(await caughtUp(() => store, { names: [projection.name] })).toEqual([]);
    const alone = await built();
    const pages = Math.ceil((await store.readAll({ maxCount: 100_000 })).length / 40);

    await reset();
    let reads = 0;
    let stop!: () => void;
    const halfWay = new Promise<void>((resolve) => (stop = resolve));
    const stopping = (allStarted: Promise<void>): EventStore =>
      Object.create(store, {
        readAll: {
          value: async (options?: ReadAllOptions): Promise<RecordedEvent[]> => {
            if ((options?.maxCount ?? 0) > 1) {
              if (options?.after && comparePositions(options.after, START_OF_LOG) === 0) await allStarted;
              // Half the pages read: each fold has flushed a few times by then, each at pages of its own.
              if (++reads === Math.ceil(pages / 2)) stop();
            }
            return store.readAll(options);
          },
        },
      });
    // A bound low enough that each writer flushes every few pages (the CRT registry's writer counts ten
    // rows as one and, folding on while it flushes, hands over at half its share).
    expect(await caughtUp(stopping, { stopWhen: halfWay, memoryRows: 12 })).toEqual([]);
    const head = await store.headPosition();
    const checkpoints = (await database.dataSource.query(`SELECT name, position_commit::text, position_prepare::text FROM ${CHECKPOINT_TABLE}`)) as Array<{
      name: string;
      position_commit: string;
      position_prepare: string;
    }>;
    expect(checkpoints).toHaveLength(3);
    for (const row of checkpoints) {
      const position = { commit: BigInt(row.position_commit), prepare: BigInt(row.position_prepare) };
      // Half-way: past the start, short of the head.
      expect([row.name, comparePositions(position, START_OF_LOG)]).toEqual([row.name, 1]);
      expect([row.name, comparePositions(position, head)]).toEqual([row.name, -1]);
    }

    // Started again: each carries on from its own checkpoint (batch by batch, or the flow statistics in one pass).
    expect(await caughtUp(() => store)).toEqual([]);
    expect(await built()).toEqual(alone);
  });
});
