import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { openMigratedDatabase } from '@app/testing';
import { poolOf, rowsRead, sentWithCallback } from './sent-with-callback';

describe('sentWithCallback', () => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;

  beforeAll(async () => {
    database = await openMigratedDatabase([]);
  });
  afterAll(() => database?.close());

  it("gives pg's result of a statement sent through the data source's pool, its parameters bound", async () => {
    const result = await sentWithCallback<QueryResult>(poolOf(database.dataSource), 'SELECT $1::int + 1 AS n, $2::text AS t', [41, 'rows']);
    expect(result.rows).toEqual([{ n: 42, t: 'rows' }]);
  });

  it('gives one result per statement of a message of the simple protocol sent through a client', async () => {
    const runner = database.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      const results = await sentWithCallback<QueryResult[]>(client, "SET LOCAL work_mem = '8MB'; SELECT current_setting('work_mem') AS m");
      expect(results.map((result) => result.rows)).toEqual([[], [{ m: '8MB' }]]);
    } finally {
      await runner.release();
    }
  });

  it("rejects with PostgreSQL's error", async () => {
    await expect(sentWithCallback(poolOf(database.dataSource), 'SELECT 1 / $1::int', [0])).rejects.toThrow('division by zero');
  });

  it("reads a statement's rows as the data source's query gives them, a SELECT's and an INSERT's", async () => {
    const { dataSource } = database;
    await dataSource.query('CREATE TABLE read_rows (n int PRIMARY KEY, t text)');
    expect(await rowsRead(dataSource, 'INSERT INTO read_rows VALUES ($1, $2), ($3, $4)', [1, 'one', 2, 'two'])).toEqual(
      await dataSource.query('INSERT INTO read_rows SELECT n + 10, t FROM read_rows WHERE false'),
    );
    const select = 'SELECT n, t FROM read_rows WHERE n >= $1 ORDER BY n';
    expect(await rowsRead(dataSource, select, [1])).toEqual([
      { n: 1, t: 'one' },
      { n: 2, t: 'two' },
    ]);
    expect(await rowsRead(dataSource, select, [1])).toEqual(await dataSource.query(select, [1]));
  });

  it("keeps no result past the young generation's next collection, where pg's promise form keeps each to the old generation", async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (options: { type: 'major' | 'minor' }) => void;
    const pool = poolOf(database.dataSource) as unknown as Pool;
    // A new text of 204,800 characters a read: a large object, which a scavenge that finds it alive
    // moves to the old generation's large objects at once, so what the scavenges kept shows in that
    // space's size (ordinary pages' sizes move with the sweeping of earlier garbage).
    const read = 'SELECT repeat(md5(random()::text), 6400) AS t';
    const withCallback = async () => (await rowsRead<{ t: string }>(database.dataSource, read))[0].t.length;
    const withPromise = async () => {
      const client = await pool.connect();
      try {
        return (await client.query<{ t: string }>(read)).rows[0].t.length;
      } finally {
        client.release();
      }
    };
    const largeObjects = () => getHeapSpaceStatistics().find((space) => space.space_name === 'large_object_space')!.space_used_size;
    /** What two scavenges after 8 reads (their answers dropped) moved to the old generation's large objects. */
    const keptAfter = async (readOnce: () => Promise<number>) => {
      for (let i = 0; i < 3; i++) await readOnce();
      gc({ type: 'major' });
      gc({ type: 'major' });
      const before = largeObjects();
      let characters = 0;
      for (let i = 0; i < 8; i++) characters += await readOnce();
      gc({ type: 'minor' });
      gc({ type: 'minor' });
      return { characters, kept: largeObjects() - before };
    };
    const promise = await keptAfter(withPromise);
    const callback = await keptAfter(withCallback);
    expect(callback.characters).toBe(1_638_400);
    // The measure itself: pg's promise form keeps the 8 texts (1.6 MB).
    const kept = { throughPromiseForm: promise.kept, throughCallbackForm: callback.kept };
    expect(kept.throughPromiseForm >= 1_638_400 && kept.throughCallbackForm < 400_000 ? 'as said' : kept).toBe('as said');
  });
});
