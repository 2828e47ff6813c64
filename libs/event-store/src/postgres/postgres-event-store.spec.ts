import { randomUUID } from 'node:crypto';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, Pool } from 'pg';
import { createTestDatabase } from '@app/testing';
import { describeEventStoreContract } from '../contract/event-store.contract';
import { describeLogDeliveryContract, type HeldAppend } from '../contract/log-delivery.contract';
import { comparePositions, EventStoreUnavailableError, START_OF_LOG, WrongExpectedVersionError, type EventToAppend, type RecordedEvent } from '../event-store.port';
import { PostgresEventStore } from './postgres-event-store';
import { migrateEventStoreSchema } from './schema';

describeEventStoreContract('PostgreSQL', async () => {
  const database = await createTestDatabase();
  const store = await PostgresEventStore.connect(database.url);
  return {
    store,
    dispose: async () => {
      await store.close();
      await database.drop();
    },
  };
});

/** An append through event_store.append_events in a transaction left open until commit(). */
async function holdAppend(databaseUrl: string, streamId: string, events: readonly EventToAppend[]): Promise<HeldAppend> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`SELECT outcome FROM event_store.append_events($1, 'any', $2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[])`, [
    streamId,
    events.map((e) => e.id),
    events.map((e) => e.type),
    events.map((e) => JSON.stringify(e.data)),
    events.map((e) => JSON.stringify(e.metadata)),
  ]);
  return {
    commit: async () => {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

describeLogDeliveryContract(
  'PostgreSQL',
  async () => {
    const database = await createTestDatabase();
    const store = await PostgresEventStore.connect(database.url);
    return {
      store,
      holdAppend: (streamId, events) => holdAppend(database.url, streamId, events),
      dispose: async () => {
        await store.close();
        await database.drop();
      },
    };
  },
  { holdsAppends: true },
);

describe('PostgreSQL event store specifics', () => {
  it('migrates an existing schema again without harm (several processes start together)', async () => {
    const database = await createTestDatabase();
    try {
      const stores = await Promise.all([1, 2, 3].map(() => PostgresEventStore.connect(database.url)));
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await database.drop();
    }
  });

  /** A pool of the test's own. Its last connections may still be closing when the database is dropped (FORCE ends them): nothing is asked of them. */
  const testPool = (url: string) => {
    const pool = new Pool({ connectionString: url });
    pool.on('error', () => undefined);
    return pool;
  };
  /** `run` on a store of a database of its own, with a pool of the test's, all dropped after. */
  const onFreshStore = async (run: (store: PostgresEventStore, pool: Pool) => Promise<void>) => {
    const database = await createTestDatabase();
    const store = await PostgresEventStore.connect(database.url);
    const pool = testPool(database.url);
    try {
      await run(store, pool);
    } finally {
      await store.close();
      await pool.end();
      await database.drop();
    }
  };
  const event = (n: number): EventToAppend => ({ id: randomUUID(), type: 'Counted', data: { n }, metadata: {} });
  const ids = (events: ReadonlyArray<{ id: string }>) => events.map((e) => e.id);

  it('migrates a store from before (one lock for every append) forward: its events keep their places, old checkpoints keep their meaning', async () => {
    const database = await createTestDatabase();
    const pool = testPool(database.url);
    try {
      await migrateEventStoreSchema(pool, { through: 2 });
      const old = [event(1), event(2), event(3), event(4)];
      const appendTheOldWay = (stream: string, events: readonly EventToAppend[]) =>
        pool.query(`SELECT outcome FROM event_store.append_events($1, 'any', $2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[])`, [
          stream,
          events.map((e) => e.id),
          events.map((e) => e.type),
          events.map((e) => JSON.stringify(e.data)),
          events.map((e) => JSON.stringify(e.metadata)),
        ]);
      await appendTheOldWay('old-a', old.slice(0, 2));
      // A long log: its positions lie far above this cluster's transaction ids.
      await pool.query(
        `INSERT INTO event_store.events (position, event_id, stream_id, version, type, data, metadata) VALUES (1000000000, $1, 'old-b', 1, 'Counted', '{"n":3}', '{}')`,
        [old[2].id],
      );
      await appendTheOldWay('old-a', old.slice(3));

      const store = await PostgresEventStore.connect(database.url);
      try {
        const before = await store.readAll();
        expect(ids(before)).toEqual(ids(old));
        expect(before.map((e) => [e.position.commit, e.position.prepare])).toEqual([
          [1n, 1n],
          [2n, 2n],
          [1000000000n, 1000000000n],
          [1000000001n, 1000000001n],
        ]);
        const fresh = [event(5), event(6)];
        const appended = await store.append('new-c', fresh, 'no_stream');
        expect(appended.position.commit).toBeGreaterThan(1000000001n);
        expect(appended.position.prepare).toBe(1000000003n);
        // A follower's checkpoint from before: commit and prepare both the old position.
        const afterCheckpoint = await store.readAll({ after: { commit: 2n, prepare: 2n } });
        expect(ids(afterCheckpoint)).toEqual([old[2].id, old[3].id, ...fresh.map((e) => e.id)]);
        expect(comparePositions(await store.headPosition(), appended.position)).toBe(0);
        expect((await store.readStream('old-a')).map((e) => e.version)).toEqual([1, 2, 3]);
      } finally {
        await store.close();
      }
    } finally {
      await pool.end();
      await database.drop();
    }
  });

  it('keeps new commit positions above the log when its transaction ids went back (a store restored into another cluster)', async () => {
    const database = await createTestDatabase();
    try {
      const first = await PostgresEventStore.connect(database.url);
      const restored = await first.append('restored', [event(1)], 'no_stream');
      await first.close();
      const pool = testPool(database.url);
      // As if written where transaction ids had gone ten billion further.
      await pool.query('UPDATE event_store.events SET commit_position = commit_position + 10000000000');
      await pool.end();
      const store = await PostgresEventStore.connect(database.url);
      try {
        const next = await store.append('restored', [event(2)], 1);
        expect(next.position.commit).toBeGreaterThan(restored.position.commit + 10000000000n);
        expect(ids(await store.readAll({ after: START_OF_LOG })).length).toBe(2);
      } finally {
        await store.close();
      }
    } finally {
      await database.drop();
    }
  });

  it('reads the commit time of each event as pg reads the timestamp, to the millisecond, by every way of reading', async () => {
    const database = await createTestDatabase();
    const store = await PostgresEventStore.connect(database.url);
    const pool = testPool(database.url);
    try {
      const moments = ['2024-05-06 07:08:09.123999+00', '2022-02-24 23:59:59.9995+02', '1969-12-31 23:59:59.999999+00', '2000-01-01 00:00:00+00', '2027-03-04 12:00:00.000001-05'];
      await store.append('times', moments.map((_, index) => event(index + 1)), 'no_stream');
      for (const [index, moment] of moments.entries()) {
        await pool.query('UPDATE event_store.events SET created_at = $1 WHERE stream_id = $2 AND version = $3', [moment, 'times', index + 1]);
      }
      // pg's own parsing of the column, the oracle.
      const { rows } = await pool.query<{ created_at: Date }>(`SELECT created_at FROM event_store.events WHERE stream_id = 'times' ORDER BY version`);
      const expected = rows.map((row) => row.created_at.toISOString());
      const times = (events: RecordedEvent[]) => events.map((recorded) => recorded.createdAt.toISOString());
      expect(times(await store.readStream('times'))).toEqual(expected);
      expect(times((await store.readStreamWith('times', { sql: 'SELECT 1', parameters: [] })).events)).toEqual(expected);
      expect(times((await store.readAll({ after: START_OF_LOG })).filter((recorded) => recorded.streamId === 'times'))).toEqual(expected);
    } finally {
      await store.close();
      await pool.end();
      await database.drop();
    }
  });

  it('writes a statement with the read of a stream, in its transaction, only when the stream has events (readStreamWith)', () =>
    onFreshStore(async (store, pool) => {
      await pool.query('CREATE TABLE reads (stream text NOT NULL, n int NOT NULL CHECK (n > 0))');
      const written = (n: number) => ({ sql: 'INSERT INTO reads (stream, n) SELECT $1::text, $2::int FROM stream_found', parameters: ['s', n] });
      const appended = [event(1), event(2)];
      await store.append('s', appended, 'no_stream');

      expect(await store.readStreamWith('s', written(1))).toEqual({ events: expect.any(Array), alongside: [] });
      expect(ids((await store.readStreamWith('s', written(3))).events)).toEqual(ids(appended));
      expect(await store.readStreamWith('nothing-here', written(2))).toEqual({ events: [], alongside: [] });
      // One statement: a write that fails fails the read, and nothing is written.
      await expect(store.readStreamWith('s', written(-1))).rejects.toThrow();
      expect((await pool.query('SELECT n FROM reads ORDER BY n')).rows).toEqual([{ n: 1 }, { n: 3 }]);
    }));

  it("answers a query with the read of a stream, in its statement, its parameters after the statement's (readStreamWith)", () =>
    onFreshStore(async (store, pool) => {
      await pool.query(`CREATE TABLE keys (stream text PRIMARY KEY, secret bytea NOT NULL, kept_at timestamptz)`);
      await pool.query(`INSERT INTO keys VALUES ('s', '\\x00ff10'::bytea, '2026-12-05 09:00:00+00'), ('other', '\\x01'::bytea, NULL)`);
      const appended = [event(1), event(2), event(3)];
      await store.append('s', appended, 'no_stream');
      const nothing = { sql: 'SELECT 1 FROM stream_found', parameters: [] };
      const key = (stream: string) => ({
        sql: (parameter: (n: number) => string) => `SELECT stream, encode(secret, 'base64') AS secret, kept_at FROM keys WHERE stream = ${parameter(1)} OR stream = ${parameter(2)}`,
        parameters: [stream, 'none'],
      });

      const read = await store.readStreamWith('s', { sql: 'SELECT $1::int FROM stream_found', parameters: [7] }, key('s'));
      expect(ids(read.events)).toEqual(ids(appended));
      expect(read.alongside).toEqual([{ stream: 's', secret: Buffer.from([0, 255, 16]).toString('base64'), kept_at: '2026-12-05T09:00:00+00:00' }]);
      expect((await store.readStreamWith('s', nothing, key('none'))).alongside).toEqual([]);
      // Nothing to read beside a stream that is not there.
      expect(await store.readStreamWith('other', nothing, key('other'))).toEqual({ events: [], alongside: [] });
    }));

  it('prepares the statement of a read with a statement once per connection and text, then only executes it (readStreamWith)', () =>
    onFreshStore(async (store, pool) => {
      await pool.query('CREATE TABLE prepared (read serial PRIMARY KEY, n int NOT NULL)');
      await store.append('s', [event(1)], 'no_stream');
      // The statement sees its own session's prepared statements: those of the store's connection.
      const counted = (tag: number) => ({
        sql: `INSERT INTO prepared (n) SELECT count(*)::int * ${tag} FROM pg_prepared_statements, stream_found`,
        parameters: [],
      });
      // One at a time: the store's pool hands the same idle connection back.
      for (let i = 0; i < 3; i++) await store.readStreamWith('s', counted(1));
      await store.readStreamWith('s', counted(10));
      expect((await pool.query('SELECT n FROM prepared ORDER BY read')).rows.map((row) => row.n)).toEqual([1, 1, 1, 20]);
    }));

  it('writes a statement with an append, in its transaction, only when the append succeeds or is recognised as retried (appendWith)', () =>
    onFreshStore(async (store, pool) => {
      await pool.query('CREATE TABLE answers (answer text NOT NULL, version int NOT NULL CHECK (version > 0))');
      const written = (answer: string) => ({ sql: 'INSERT INTO answers (answer, version) SELECT $1::text, stream_version FROM appended_ok', parameters: [answer] });
      const first = [event(1), event(2)];
      expect((await store.appendWith('s', first, 'no_stream', written('first'))).nextExpectedVersion).toBe(2);
      // A conflict writes nothing; the append of the same events again is recognised and writes it.
      await expect(store.appendWith('s', [event(3)], 1, written('conflict'))).rejects.toBeInstanceOf(WrongExpectedVersionError);
      expect((await store.appendWith('s', first, 'no_stream', written('retried'))).nextExpectedVersion).toBe(2);
      // One statement: a write that fails fails the append, and nothing is appended.
      await expect(store.appendWith('s', [event(3)], 2, { sql: 'INSERT INTO answers (answer, version) SELECT $1::text, -1 FROM appended_ok', parameters: ['x'] })).rejects.toThrow();
      expect(ids(await store.readStream('s'))).toEqual(ids(first));
      const third = event(3);
      expect((await store.appendWith('s', [third], 2, written('third'))).nextExpectedVersion).toBe(3);
      expect((await pool.query('SELECT answer, version FROM answers ORDER BY version, answer')).rows).toEqual([
        { answer: 'first', version: 2 },
        { answer: 'retried', version: 2 },
        { answer: 'third', version: 3 },
      ]);
      // Still readable by a follower: the append stayed the first write of its transaction.
      expect(ids(await store.readAll({ after: START_OF_LOG }))).toEqual(ids([...first, third]));
    }));

  it("keeps none of a subscription's pages past the young generation's next collection (read on its own connection)", () =>
    onFreshStore(async (store) => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as (options: { type: 'major' | 'minor' }) => void;
      // A text of 204,800 characters an event: a large object, which a scavenge that finds it alive
      // moves to the old generation's large objects at once (as @app/platform's
      // sent-with-callback.spec.ts measures). pg's promise form on a Client keeps each page so.
      const text = () => randomUUID().replace(/-/g, '').repeat(6400);
      for (let i = 0; i < 4; i++) await store.append(`paged-${i}`, [{ ...event(1), data: { t: text() } }], 'no_stream');
      const largeObjects = () => getHeapSpaceStatistics().find((space) => space.space_name === 'large_object_space')!.space_used_size;
      const followed = async () => {
        let characters = 0;
        let caughtUp!: () => void;
        const reached = new Promise<void>((resolve) => (caughtUp = resolve));
        const subscription = store.subscribeToAll({
          after: START_OF_LOG,
          maxCount: 1,
          onEvents: async (events) => {
            for (const recorded of events) characters += (recorded.data.t as string).length;
          },
          onCaughtUp: () => caughtUp(),
        });
        await reached;
        await subscription.close();
        return characters;
      };
      await followed();
      gc({ type: 'major' });
      gc({ type: 'major' });
      const before = largeObjects();
      expect(await followed()).toBe(819_200);
      gc({ type: 'minor' });
      gc({ type: 'minor' });
      const kept = largeObjects() - before;
      expect(kept < 450_000 ? 'none kept' : { kept }).toBe('none kept');
    }));

  it('reports an unreachable server as unavailable', async () => {
    await expect(PostgresEventStore.connect('postgres://postgres:postgres@127.0.0.1:1/none')).rejects.toBeInstanceOf(
      EventStoreUnavailableError,
    );
  });
});
