import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { PoolClient, QueryResult } from 'pg';
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

  it('sends a named statement, which a connection prepares once and runs again with other values', async () => {
    const pool = poolOf(database.dataSource);
    const first = await sentWithCallback<QueryResult>(pool, 'SELECT $1::int * 2 AS n', [21], 'sent-with-callback-spec');
    const again = await sentWithCallback<QueryResult>(pool, 'SELECT $1::int * 2 AS n', [4], 'sent-with-callback-spec');
    expect([first.rows, again.rows]).toEqual([[{ n: 42 }], [{ n: 8 }]]);
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

  it("keeps no result past the young generation's next collection, where pg's promise form keeps each to the old generation", () => {
    // In a process of its own: V8's allocation-site pretenuring, once it has seen pg's rows live
    // long in a process (this worker may have run other specs), allocates them in the old
    // generation whatever form sent them (seen once in this session's runs: both forms 1,638,528).
    const measured = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '--expose-gc', '-e', MEASURE], {
      cwd: join(__dirname, '../../..'),
      env: { ...process.env, MEASURED_DATABASE_URL: database.url, TS_NODE_TRANSPILE_ONLY: 'true' },
      encoding: 'utf8',
    });
    const { promise, callback } = JSON.parse(measured) as Record<'promise' | 'callback', { characters: number; kept: number }>;
    expect(callback.characters).toBe(1_638_400);
    // The measure itself: pg's promise form keeps the 8 texts (1.6 MB).
    const kept = { throughPromiseForm: promise.kept, throughCallbackForm: callback.kept };
    expect(kept.throughPromiseForm >= 1_638_400 && kept.throughCallbackForm < 400_000 ? 'as said' : kept).toBe('as said');
  });
});

/**
 * A new text of 204,800 characters a read: a large object, which a scavenge that finds it alive
 * moves to the old generation's large objects at once, so what the scavenges kept shows in that
 * space's size (ordinary pages' sizes move with the sweeping of earlier garbage). For each form,
 * 8 reads (their answers dropped) between two full collections and two scavenges.
 */
const MEASURE = `
const { getHeapSpaceStatistics } = require('node:v8');
const { DataSource } = require('typeorm');
const { poolOf, rowsRead } = require(${JSON.stringify(join(__dirname, 'sent-with-callback'))});
(async () => {
  const dataSource = await new DataSource({ type: 'postgres', url: process.env.MEASURED_DATABASE_URL }).initialize();
  const read = 'SELECT repeat(md5(random()::text), 6400) AS t';
  const withCallback = async () => (await rowsRead(dataSource, read))[0].t.length;
  const withPromise = async () => {
    const client = await poolOf(dataSource).connect();
    try { return (await client.query(read)).rows[0].t.length; } finally { client.release(); }
  };
  const largeObjects = () => getHeapSpaceStatistics().find((space) => space.space_name === 'large_object_space').space_used_size;
  const keptAfter = async (readOnce) => {
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
  await dataSource.destroy();
  process.stdout.write(JSON.stringify({ promise, callback }));
})();
`;
