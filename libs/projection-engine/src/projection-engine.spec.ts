import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestDatabase, esdbUrlForTests, until } from '@app/testing';
import type { EventStore, RecordedEvent } from '@app/event-store';
import { EventStoreDbEventStore } from '@app/event-store/eventstoredb';
import { PostgresEventStore } from '@app/event-store/postgres';
import { ReadModelSchema1732492800000 } from './migrations/1732492800000-read-model-schema';
import { ProjectionOwner1733184000000 } from './migrations/1733184000000-projection-owner';
import { ProjectionSafeForms1733356800000 } from './migrations/1733356800000-projection-safe-forms';
import type { Projection, ProjectionContext, RebuildWriter } from './projection';
import { ProjectionEngine, type ProjectionStatus } from './projection-engine';

/**
 * A projection as small as can be: per stream, how many events and the sum of their `n`.
 * A double-applied event shows as a wrong count; a lost one too.
 */
function countingProjection(
  prefix: string,
  name: string,
  table: string,
  options: { poisonType?: string; failAfterWrite?: () => boolean } = {},
): Projection {
  return {
    name,
    tables: [table],
    streamPrefixes: [prefix],
    async apply(events: readonly RecordedEvent[], context: ProjectionContext) {
      for (const event of events) {
        await context.query(
          `INSERT INTO ${context.schema}.${table} (stream_id, events, total) VALUES ($1, 1, $2)
           ON CONFLICT (stream_id) DO UPDATE SET events = ${table}.events + 1, total = ${table}.total + EXCLUDED.total`,
          [event.streamId, Number(event.data.n ?? 0)],
        );
        if (event.type === options.poisonType) throw new Error(`cannot project ${event.type}`);
        if (options.failAfterWrite?.()) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
      }
    },
  };
}

interface FollowedStore {
  readonly store: EventStore;
  dispose(): Promise<void>;
}

async function postgresStore(databaseUrl: string): Promise<FollowedStore> {
  const store = await PostgresEventStore.connect(databaseUrl);
  return { store, dispose: () => store.close() };
}

/**
 * The real server in TEST_ESDB_URL, else a test server of this spec's own rather than the run's
 * shared one: a status counts what lies ahead of a projection in the log, read from its
 * checkpoint with its stream prefixes (filtered by the client on EventStoreDB), and on the shared
 * server every other suite's events lie ahead, so each status scanned them all and, late in a
 * full run, the spec overran its time.
 */
async function eventStoreDb(): Promise<FollowedStore> {
  if (process.env.TEST_ESDB_URL) {
    const store = EventStoreDbEventStore.fromConnectionString(esdbUrlForTests());
    return { store, dispose: () => store.close() };
  }
  const { eventStoreOnTestServer } = await import('../../../tools/esdb-test-server/event-store-on-test-server');
  return eventStoreOnTestServer();
}

/** Read models are always in PostgreSQL; the log they follow is in either store. */
describe.each([
  ['PostgreSQL', postgresStore],
  ['EventStoreDB (a test server of its own, or TEST_ESDB_URL)', eventStoreDb],
])('ProjectionEngine following %s', (_, openStore: (databaseUrl: string) => Promise<FollowedStore>) => {
  let database: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let followed: FollowedStore;
  let store: EventStore;
  // Streams of this run only, so a shared EventStoreDB's other streams never count.
  const prefix = `counted${randomUUID().slice(0, 8)}-`;
  const counting = (name: string, table: string, options?: Parameters<typeof countingProjection>[3]) =>
    countingProjection(prefix, name, table, options);
  const logged: string[] = [];
  const options = { batchSize: 50, retryDelayMs: 100, log: (message: string) => logged.push(message) };

  beforeAll(async () => {
    database = await createTestDatabase();
    followed = await openStore(database.url);
    store = followed.store;
    dataSource = new DataSource({ type: 'postgres', url: database.url, migrations: [ReadModelSchema1732492800000, ProjectionOwner1733184000000, ProjectionSafeForms1733356800000] });
    await dataSource.initialize();
    await dataSource.runMigrations();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await followed.dispose();
    await database.drop();
  });

  async function createTable(table: string): Promise<void> {
    await dataSource.query(
      `CREATE TABLE read_models.${table} (stream_id text PRIMARY KEY, events integer NOT NULL, total integer NOT NULL)`,
    );
    await dataSource.query(`CREATE INDEX ${table}_total_idx ON read_models.${table} (total)`);
  }

  /** Appends, and returns the position of the last event appended, as a reader sees it. */
  async function appendCounted(streams: number, eventsPerStream: number, type = 'Counted'): Promise<{ commit: string; prepare: string }> {
    let stream = '';
    for (let s = 0; s < streams; s++) {
      stream = `${prefix}${randomUUID()}`;
      await store.append(
        stream,
        Array.from({ length: eventsPerStream }, (_, i) => ({ id: randomUUID(), type, data: { n: i + 1 }, metadata: {} })),
        'no_stream',
      );
    }
    const last = (await store.readStream(stream)).at(-1)!.position;
    return { commit: last.commit.toString(), prepare: last.prepare.toString() };
  }

  const totals = async (table: string) => {
    const [row] = await dataSource.query(`SELECT coalesce(sum(events), 0)::int AS events, coalesce(sum(total), 0)::int AS total FROM read_models.${table}`);
    return row as { events: number; total: number };
  };
  const statusOf = async (engine: ProjectionEngine, name: string) =>
    (await engine.statuses()).find((status) => status.name === name) as ProjectionStatus;

  it('catches up from the start of the log, goes live, and applies new events exactly once', async () => {
    await createTable('counts_a');
    const projection = counting('counts-a', 'counts_a');
    await appendCounted(30, 3); // 90 events, sum per stream 6
    const engine = new ProjectionEngine(store, dataSource, [projection], options);
    await engine.start();
    try {
      await until(() => totals('counts_a'), (t) => t.events === 90);
      const last = await appendCounted(5, 2);
      expect(await until(() => totals('counts_a'), (t) => t.events === 100)).toEqual({ events: 100, total: 30 * 6 + 5 * 3 });
      const status = await until(() => statusOf(engine, 'counts-a'), (s) => s.state === 'live');
      // Not necessarily the head: on a shared EventStoreDB other suites append meanwhile.
      expect(status).toMatchObject({ lagEvents: 0, lagSeconds: 0, error: null, position: last });
    } finally {
      await engine.stop();
    }
  });

  it('starts again from its checkpoint after a stop: nothing applied twice, nothing lost', async () => {
    const before = await totals('counts_a');
    await appendCounted(4, 5); // appended while stopped
    const engine = new ProjectionEngine(store, dataSource, [counting('counts-a', 'counts_a')], options);
    await engine.start();
    try {
      expect(await until(() => totals('counts_a'), (t) => t.events >= before.events + 20)).toEqual({
        events: before.events + 20,
        total: before.total + 4 * 15,
      });
    } finally {
      await engine.stop();
    }
  });

  it('says when a projection has applied everything of its streams recorded so far, ignoring other streams', async () => {
    const before = await totals('counts_a');
    await appendCounted(2, 2);
    // Another stream ends the log: the projection need not reach it.
    await store.append(`other${randomUUID()}`, [{ id: randomUUID(), type: 'Elsewhere', data: {}, metadata: {} }], 'no_stream');
    const engine = new ProjectionEngine(store, dataSource, [counting('counts-a', 'counts_a')], options);
    expect(await engine.waitUntilCaughtUp('counts-a', 200, 50)).toBe(false);
    await engine.start();
    try {
      expect(await engine.waitUntilCaughtUp('counts-a', 20_000)).toBe(true);
      expect(await totals('counts_a')).toEqual({ events: before.events + 4, total: before.total + 2 * 3 });
    } finally {
      await engine.stop();
    }
  });

  it('stops a projection at a poisoned event with its error and position; the others go on', async () => {
    await createTable('counts_poisoned');
    await createTable('counts_healthy');
    const poisoned = counting('counts-poisoned', 'counts_poisoned', { poisonType: 'Unprojectable' });
    const healthy = counting('counts-healthy', 'counts_healthy');
    const engine = new ProjectionEngine(store, dataSource, [poisoned, healthy], options);
    await engine.start();
    try {
      const healthyBefore = await until(() => statusOf(engine, 'counts-healthy'), (s) => s.state === 'live');
      const stream = `${prefix}${randomUUID()}`;
      await store.append(
        stream,
        [
          { id: randomUUID(), type: 'Counted', data: { n: 1 }, metadata: {} },
          { id: randomUUID(), type: 'Unprojectable', data: { n: 100 }, metadata: {} },
          { id: randomUUID(), type: 'Counted', data: { n: 1 }, metadata: {} },
        ],
        'no_stream',
      );
      const [before, poison] = await store.readStream(stream);
      const status = await until(() => statusOf(engine, 'counts-poisoned'), (s) => s.state === 'stopped');
      expect(status.error).toEqual({
        message: expect.stringContaining(`stopped at event ${poison.id} (Unprojectable`),
        eventId: poison.id,
        position: { commit: poison.position.commit.toString(), prepare: poison.position.prepare.toString() },
      });
      // What failed, never the error's message, which can quote the event's data.
      expect(status.error?.message).toMatch(/: Error$/);
      expect(status.error?.message).not.toContain('cannot project');
      // What came before the poisoned event is applied and committed; it and what follows are not.
      expect(status.position).toEqual({ commit: before.position.commit.toString(), prepare: before.position.prepare.toString() });
      const [row] = await dataSource.query('SELECT events, total FROM read_models.counts_poisoned WHERE stream_id = $1', [stream]);
      expect(row).toEqual({ events: 1, total: 1 });
      // The log says the same.
      const line = logged.find((entry) => entry.includes('counts-poisoned') && entry.includes(poison.id));
      expect(line).toBe(status.error?.message);

      const healthyAfter = await until(() => totals('counts_healthy'), (t) => t.total >= 102);
      expect(healthyAfter.total).toBeGreaterThan(0);
      expect((await statusOf(engine, 'counts-healthy')).state).toBe('live');
      expect(healthyBefore.error).toBeNull();
    } finally {
      await engine.stop();
    }
  });

  it('keeps a stopped projection stopped across restarts until it is rebuilt', async () => {
    const engine = new ProjectionEngine(store, dataSource, [counting('counts-poisoned', 'counts_poisoned', { poisonType: 'Unprojectable' })], options);
    await engine.start();
    try {
      expect((await statusOf(engine, 'counts-poisoned')).state).toBe('stopped');
    } finally {
      await engine.stop();
    }
  });

  it('rolls a failing batch back whole: read model and checkpoint move together or not at all', async () => {
    await createTable('counts_flaky');
    let failures = 2;
    const flaky = counting('counts-flaky', 'counts_flaky', { failAfterWrite: () => failures-- > 0 });
    const engine = new ProjectionEngine(store, dataSource, [flaky], options);
    // Every event of the prefix, counted from the log: counts_a misses those appended while it was not running (the
    // poisoned events), and waiting for its count let the comparison run before the last event was applied.
    const all = await store.readAll({ maxCount: 100_000, streamPrefixes: [prefix] });
    const expected = { events: all.length, total: all.reduce((sum, e) => sum + Number(e.data.n), 0) };
    await engine.start();
    try {
      // The first two attempts die mid-batch (as on a lost connection); the runner follows again from the checkpoint.
      const final = await until(() => totals('counts_flaky'), (t) => t.events >= expected.events);
      expect(final).toEqual(expected);
      expect(logged.some((line) => line.includes('counts-flaky') && line.includes('following again'))).toBe(true);
    } finally {
      await engine.stop();
    }
  });

  it('rebuilds beside the live copy and switches atomically, keeping index names and the storage parameters; queries answer throughout', async () => {
    const projection = counting('counts-a', 'counts_a');
    const engine = new ProjectionEngine(store, dataSource, [projection], options);
    await engine.start();
    try {
      await until(() => statusOf(engine, 'counts-a'), (s) => s.state === 'live');
      const live = await totals('counts_a');
      // Damage the live copy so that only a rebuild from the log can set it right.
      await dataSource.query('UPDATE read_models.counts_a SET total = total + 1000');
      // As a migration sets them.
      await dataSource.query('ALTER TABLE read_models.counts_a SET (fillfactor = 70, autovacuum_enabled = true)');
      const progress: number[] = [];
      // Queries keep being answered while the copy is built and switched in.
      const reads: Promise<unknown>[] = [];
      const reader = setInterval(() => reads.push(totals('counts_a')), 5);
      const result = await engine.rebuild('counts-a', (p) => progress.push(p.applied)).finally(() => clearInterval(reader));
      const answered = await Promise.all(reads);
      const rebuilt = await totals('counts_a');
      const all = await store.readAll({ maxCount: 100_000, streamPrefixes: [prefix] });
      expect(rebuilt).toEqual({ events: all.length, total: all.reduce((sum, e) => sum + Number(e.data.n), 0) });
      expect(rebuilt.events).toBe(live.events);
      expect(result.applied).toBe(all.length);
      expect(progress.length).toBeGreaterThan(1);
      expect(answered.length).toBeGreaterThan(0);
      const indexes = await dataSource.query(`SELECT indexname FROM pg_indexes WHERE schemaname = 'read_models' AND tablename = 'counts_a' ORDER BY 1`);
      expect(indexes.map((row: { indexname: string }) => row.indexname)).toEqual(['counts_a_pkey', 'counts_a_total_idx']);
      const [{ reloptions }] = await dataSource.query(`SELECT reloptions FROM pg_class WHERE oid = 'read_models.counts_a'::regclass`);
      expect(reloptions).toEqual(['fillfactor=70', 'autovacuum_enabled=true']);
      const schemas = await dataSource.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'read_models_rebuild%'`);
      expect(schemas).toEqual([]);
      // The live runner carries on after the switch.
      await appendCounted(1, 1);
      await until(() => totals('counts_a'), (t) => t.events === rebuilt.events + 1);
    } finally {
      await engine.stop();
    }
  });

  it('fails a rebuild whose copy an index cannot be built on, leaving the live copy with all its indexes', async () => {
    await createTable('counts_idx');
    await dataSource.query('CREATE INDEX counts_idx_events_idx ON read_models.counts_idx (events)');
    const projection = counting('counts-idx', 'counts_idx');
    await appendCounted(3, 2);
    const catchingUp = new ProjectionEngine(store, dataSource, [projection], options);
    await catchingUp.start();
    try {
      // Every event of the prefix applied (the earlier tests' too).
      const all = await store.readAll({ maxCount: 100_000, streamPrefixes: [prefix] });
      await until(() => totals('counts_idx'), (t) => t.events === all.length);
    } finally {
      await catchingUp.stop();
    }
    // The live rows made negative: an index that divides by least(total, 0) builds on them, and not on the copy's. They
    // are written anew after a TRUNCATE rather than updated: a build also indexes the row versions an update leaves
    // behind while any older transaction may still see them (in CI, some always may), and their positive totals
    // would fail it here.
    const rows: Array<{ stream_id: string; events: number; total: number }> = await dataSource.query('SELECT stream_id, events, total FROM read_models.counts_idx');
    await dataSource.query('TRUNCATE read_models.counts_idx');
    await dataSource.query('INSERT INTO read_models.counts_idx (stream_id, events, total) SELECT * FROM unnest($1::text[], $2::int[], $3::int[])', [
      rows.map((row) => row.stream_id),
      rows.map((row) => row.events),
      rows.map((row) => -row.total),
    ]);
    await dataSource.query('CREATE INDEX counts_idx_inverse_idx ON read_models.counts_idx ((1 / least(total, 0)))');
    const live = await totals('counts_idx');
    const engine = new ProjectionEngine(store, dataSource, [projection], options);
    await engine.start();
    try {
      await expect(engine.rebuild('counts-idx')).rejects.toThrow(/division by zero/);
      expect(await totals('counts_idx')).toEqual(live);
      const indexes = await dataSource.query(`SELECT indexname FROM pg_indexes WHERE schemaname = 'read_models' AND tablename = 'counts_idx' ORDER BY 1`);
      expect(indexes.map((row: { indexname: string }) => row.indexname)).toEqual([
        'counts_idx_events_idx',
        'counts_idx_inverse_idx',
        'counts_idx_pkey',
        'counts_idx_total_idx',
      ]);
      expect(await dataSource.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'read_models_rebuild%'`)).toEqual([]);
    } finally {
      await engine.stop();
    }
  });

  it('revives a poisoned projection by a rebuild once the cause is gone', async () => {
    // The handler is fixed (no poison type any more): a rebuild applies everything and the projection runs again.
    const fixed = counting('counts-poisoned', 'counts_poisoned');
    const engine = new ProjectionEngine(store, dataSource, [fixed], options);
    await engine.start();
    try {
      expect((await statusOf(engine, 'counts-poisoned')).state).toBe('stopped');
      await engine.rebuild('counts-poisoned');
      const status = await until(() => statusOf(engine, 'counts-poisoned'), (s) => s.state === 'live');
      expect(status.error).toBeNull();
      const all = await store.readAll({ maxCount: 100_000, streamPrefixes: [prefix] });
      expect((await totals('counts_poisoned')).events).toBe(all.length);
    } finally {
      await engine.stop();
    }
  });

  describe('catching up from empty tables in one pass', () => {
    /**
     * The counting projection with a one-pass writer: per stream, its events and their sum in
     * memory, added to the table at each flush (a stream flushed before is added to, as a
     * writer reads back what it wrote). `onFlush` runs inside the flush, after it wrote, with the
     * rows it wrote; `beforeFold` before each batch is folded.
     */
    function onePass(
      name: string,
      table: string,
      own: string,
      onFlush: (flushes: number, rows: number) => void = () => undefined,
      beforeFold: () => Promise<void> = async () => undefined,
    ): Projection {
      let flushes = 0;
      return {
        ...countingProjection(own, name, table),
        rebuildWriter: () => {
          let counts = new Map<string, { events: number; total: number }>();
          return {
            async fold(events) {
              await beforeFold();
              for (const event of events) {
                const count = counts.get(event.streamId) ?? { events: 0, total: 0 };
                count.events++;
                count.total += Number(event.data.n ?? 0);
                counts.set(event.streamId, count);
              }
            },
            get size() {
              return counts.size;
            },
            async flush(context) {
              const flushed = counts;
              counts = new Map();
              for (const [stream, count] of flushed) {
                await context.query(
                  `INSERT INTO ${context.schema}.${table} (stream_id, events, total) VALUES ($1, $2, $3)
                   ON CONFLICT (stream_id) DO UPDATE SET events = ${table}.events + EXCLUDED.events, total = ${table}.total + EXCLUDED.total`,
                  [stream, count.events, count.total],
                );
              }
              onFlush(++flushes, flushed.size);
            },
          } satisfies RebuildWriter;
        },
      };
    }

    /** `streams` streams of this test's own, 3 events each (n = 1, 2, 3). */
    async function appendOwn(own: string, streams: number): Promise<void> {
      for (let s = 0; s < streams; s++) {
        const events = [1, 2, 3].map((n) => ({ id: randomUUID(), type: 'Counted', data: { n }, metadata: {} }));
        await store.append(`${own}${randomUUID()}`, events, 'no_stream');
      }
    }

    const small = { ...options, batchSize: 10, rebuildMemoryRows: 4 };

    it('folds the log with its writer, each flush committed with the checkpoint, then applies new events live, each once', async () => {
      const own = `onepass${randomUUID().slice(0, 8)}-`;
      await createTable('counts_one_pass');
      let flushes = 0;
      const projection = onePass('counts-one-pass', 'counts_one_pass', own, (n) => (flushes = n));
      await appendOwn(own, 20);
      const engine = new ProjectionEngine(store, dataSource, [projection], small);
      await engine.start();
      try {
        expect(await until(() => totals('counts_one_pass'), (t) => t.events === 60)).toEqual({ events: 60, total: 20 * 6 });
        expect(flushes).toBeGreaterThan(2);
        await until(() => statusOf(engine, 'counts-one-pass'), (s) => s.state === 'live');
        const flushesBefore = flushes;
        await appendOwn(own, 3);
        expect(await until(() => totals('counts_one_pass'), (t) => t.events >= 69)).toEqual({ events: 69, total: 23 * 6 });
        // Live now: batch by batch, the writer no longer used.
        expect(flushes).toBe(flushesBefore);
      } finally {
        await engine.stop();
      }
    });

    it('stopped half-way, it keeps what it flushed; the next start carries on batch by batch from there, nothing lost or twice', async () => {
      const own = `onepass${randomUUID().slice(0, 8)}-`;
      await createTable('counts_one_pass_stopped');
      let engine: ProjectionEngine | undefined;
      let stopped: Promise<void> | undefined;
      let flushes = 0;
      const projection = onePass('counts-one-pass-stopped', 'counts_one_pass_stopped', own, (n) => {
        flushes = n;
        if (n === 2) stopped = engine!.stop();
      });
      await appendOwn(own, 20);
      engine = new ProjectionEngine(store, dataSource, [projection], small);
      await engine.start();
      await until(async () => flushes, (n) => n >= 2);
      await stopped;
      const partial = await totals('counts_one_pass_stopped');
      expect(flushes).toBe(2);
      expect(partial.events).toBeGreaterThan(0);
      expect(partial.events).toBeLessThan(60);

      const again = new ProjectionEngine(store, dataSource, [projection], small);
      await again.start();
      try {
        expect(await until(() => totals('counts_one_pass_stopped'), (t) => t.events >= 60)).toEqual({ events: 60, total: 20 * 6 });
        expect(flushes).toBe(2);
      } finally {
        await again.stop();
      }
    });

    it('projections catching up together share one memory bound: each flushes at its share of the rows', async () => {
      const own = `onepass${randomUUID().slice(0, 8)}-`;
      const waiting = `onepass${randomUUID().slice(0, 8)}-`;
      await createTable('counts_one_pass_sharing');
      await createTable('counts_one_pass_waiting');
      // Ten events a batch, three a stream: a batch brings at most five streams (rows).
      const shared = { ...options, batchSize: 10, rebuildMemoryRows: 12 };
      const flushed: number[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let joined!: () => void;
      const holdingFolds = new Promise<void>((resolve) => (joined = resolve));
      // It folds once the other fold has joined the bound (on a busy machine it could start first and flush alone).
      const sharing = onePass('counts-one-pass-sharing', 'counts_one_pass_sharing', own, (_, rows) => flushed.push(rows), () => holdingFolds);
      // Folding (its first batch held until the other has caught up): the bound is shared by two.
      const holding = onePass('counts-one-pass-waiting', 'counts_one_pass_waiting', waiting, undefined, () => {
        joined();
        return held;
      });
      await appendOwn(own, 20);
      await appendOwn(waiting, 5);
      const engine = new ProjectionEngine(store, dataSource, [holding, sharing], shared);
      await engine.start();
      try {
        expect(await until(() => totals('counts_one_pass_sharing'), (t) => t.events === 60)).toEqual({ events: 60, total: 20 * 6 });
        // Half of 12 each: a flush once it holds more than 6 rows, so at most 6 + 5; alone it would hold up to 12 + 5.
        expect(flushed.length).toBeGreaterThan(2);
        // The fold's last flush holding rows holds the rest (an empty one may follow it: the writer told its last flush).
        expect(Math.max(...flushed.filter((rows) => rows > 0).slice(0, -1))).toBeLessThanOrEqual(11);
        release();
        expect(await until(() => totals('counts_one_pass_waiting'), (t) => t.events === 15)).toEqual({ events: 15, total: 5 * 6 });
      } finally {
        release();
        await engine.stop();
      }
    });

    it('a flush that fails writes none of its rows nor its checkpoint; the live path carries on from the flush before', async () => {
      const own = `onepass${randomUUID().slice(0, 8)}-`;
      await createTable('counts_one_pass_failing');
      const projection = onePass('counts-one-pass-failing', 'counts_one_pass_failing', own, (n) => {
        if (n === 3) throw new Error('the writer fails after writing');
      });
      await appendOwn(own, 20);
      logged.length = 0;
      const engine = new ProjectionEngine(store, dataSource, [projection], small);
      await engine.start();
      try {
        expect(await until(() => totals('counts_one_pass_failing'), (t) => t.events >= 60)).toEqual({ events: 60, total: 20 * 6 });
        expect(logged).toContainEqual(expect.stringContaining('counts-one-pass-failing: its one-pass catch-up failed (Error)'));
        expect(logged.join('\n')).not.toContain('the writer fails');
      } finally {
        await engine.stop();
      }
    });
  });

  it('reports what a projection has yet to apply: its events counted up to the cap, and the oldest one\'s age', async () => {
    const lagging = `lagging${randomUUID().slice(0, 8)}-`;
    const engine = new ProjectionEngine(store, dataSource, [countingProjection(lagging, 'counts-lagging', 'counts_lagging')], { ...options, lagCountCap: 20 });
    const appendedFrom = Date.now();
    for (let s = 0; s < 3; s++) {
      await store.append(`${lagging}${s}`, Array.from({ length: 4 }, (_, i) => ({ id: randomUUID(), type: 'Counted', data: { n: i }, metadata: {} })), 'no_stream');
    }
    const status = await statusOf(engine, 'counts-lagging');
    // Never started here, so its checkpoint is the start of the log and only its own streams count.
    expect(status).toMatchObject({ state: 'standby', lagEvents: 12, lagCapped: false });
    // The oldest pending event was recorded after appendedFrom (one clock, with a second's margin).
    expect(status.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(status.lagSeconds).toBeLessThanOrEqual((Date.now() - appendedFrom) / 1000 + 1);

    await store.append(`${lagging}long`, Array.from({ length: 8 }, (_, i) => ({ id: randomUUID(), type: 'Counted', data: { n: i }, metadata: {} })), 'no_stream');
    expect(await statusOf(engine, 'counts-lagging')).toMatchObject({ lagEvents: 20, lagCapped: true });
  });
});
