import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { PostgresEventStore } from '@app/event-store/postgres';
import { createTestDatabase, until } from '@app/testing';
import { ReadModelSchema1732492800000 } from './migrations/1732492800000-read-model-schema';
import { ProjectionOwner1733184000000 } from './migrations/1733184000000-projection-owner';
import { ProjectionSafeForms1733356800000 } from './migrations/1733356800000-projection-safe-forms';
import type { Projection } from './projection';
import { ProjectionEngine, RebuildInProgressError, type ProjectionStatus } from './projection-engine';
import { projectionLockKey } from './projection-lock';

const NAME = 'logged';

/**
 * Two engines in one process on one database stand for two instances of the service. Their
 * projection logs which instance applied which event, so an event applied twice, or by the
 * instance that should be standing by, shows.
 */
function loggingProjection(instance: string, delayMs = 0): Projection {
  return {
    name: NAME,
    tables: ['lock_log'],
    streamPrefixes: ['logged-'],
    async apply(events, context) {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      for (const event of events) {
        // prepare: the event's own number (commit is its append's, shared by the events of one append).
        await context.query(`INSERT INTO ${context.schema}.lock_log (position, instance) VALUES ($1, $2)`, [
          event.position.prepare.toString(),
          instance,
        ]);
      }
    },
  };
}

describe('one instance per projection (advisory lock)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let store: PostgresEventStore;
  const logged: string[] = [];
  const engines: ProjectionEngine[] = [];

  /** An instance: short intervals so that standing by and taking over are quick. */
  const engine = (instance: string, delayMs = 0) => {
    const created = new ProjectionEngine(store, dataSource, [loggingProjection(instance, delayMs)], {
      batchSize: 10,
      retryDelayMs: 100,
      standbyRetryMs: 50,
      instance,
      log: (message) => logged.push(`${instance}: ${message}`),
      info: (message) => logged.push(`${instance}: ${message}`),
    });
    engines.push(created);
    return created;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await PostgresEventStore.connect(database.url);
    dataSource = new DataSource({
      type: 'postgres',
      url: database.url,
      migrations: [ReadModelSchema1732492800000, ProjectionOwner1733184000000, ProjectionSafeForms1733356800000],
    });
    await dataSource.initialize();
    await dataSource.runMigrations();
    await dataSource.query('CREATE TABLE read_models.lock_log (position bigint NOT NULL, instance text NOT NULL)');
  });

  afterAll(async () => {
    await Promise.all(engines.map((started) => started.stop()));
    await dataSource.destroy();
    await store.close();
    await database.drop();
  });

  let appended = 0;
  async function append(streams: number, eventsPerStream: number): Promise<void> {
    for (let s = 0; s < streams; s++) {
      const events = Array.from({ length: eventsPerStream }, () => ({ id: randomUUID(), type: 'Logged', data: {}, metadata: {} }));
      await store.append(`logged-${randomUUID()}`, events, 'no_stream');
    }
    appended += streams * eventsPerStream;
  }

  const applied = async () => {
    const [row] = await dataSource.query(
      'SELECT count(*)::int AS events, count(DISTINCT position)::int AS positions FROM read_models.lock_log',
    );
    return row as { events: number; positions: number };
  };
  const appliedBy = async () =>
    ((await dataSource.query('SELECT instance, max(position)::text AS last FROM read_models.lock_log GROUP BY instance')) as Array<{
      instance: string;
      last: string;
    }>).reduce<Record<string, bigint>>((all, row) => ({ ...all, [row.instance]: BigInt(row.last) }), {});
  const statusIn = async (instance: ProjectionEngine) => (await instance.statuses())[0] as ProjectionStatus;
  const everythingOnce = (count: { events: number; positions: number }) => count.events === appended && count.positions === appended;

  let a: ProjectionEngine;
  let b: ProjectionEngine;

  it('runs a projection in one instance only; the other stands by and says who runs it', async () => {
    await append(20, 5);
    a = engine('instance-a', 30); // slow enough to be stopped part-way in the next test
    await a.start();
    // Said by the time start() returns, so that a service's "Listening" line comes after it.
    expect(logged).toContain('instance-a: Projection logged: running in this instance (instance-a)');
    b = engine('instance-b');
    await b.start();
    expect(logged).toContain('instance-b: Projection logged: standing by; another instance runs it');
    await until(applied, everythingOnce);
    await append(10, 5);
    expect(await until(applied, everythingOnce)).toEqual({ events: 150, positions: 150 });

    expect(Object.keys(await appliedBy())).toEqual(['instance-a']);
    expect(await until(() => statusIn(a), (s) => s.state === 'live')).toMatchObject({
      owner: 'instance-a',
      ownerSince: expect.any(String),
      thisInstance: 'active',
      lagEvents: 0,
    });
    expect(await statusIn(b)).toMatchObject({ state: 'live', owner: 'instance-a', thisInstance: 'standby' });
  });

  it('lets the instance on standby take over from the checkpoint when the active one stops: nothing applied twice', async () => {
    // The active instance is stopped part-way through a long stretch, at a committed checkpoint.
    await append(40, 5);
    await until(applied, (count) => count.events >= 170);
    await a.stop();
    expect(await until(applied, everythingOnce)).toEqual({ events: 350, positions: 350 });
    const last = await appliedBy();
    const [firstOfB] = await dataSource.query(`SELECT min(position)::text AS position FROM read_models.lock_log WHERE instance = 'instance-b'`);
    expect(BigInt(firstOfB.position)).toBeGreaterThan(last['instance-a']);
    expect(await until(() => statusIn(b), (s) => s.state === 'live')).toMatchObject({ owner: 'instance-b', thisInstance: 'active' });
    expect(await statusIn(a)).toMatchObject({ owner: 'instance-b', thisInstance: 'off' });
  });

  it('stops following and stands by when its lock connection breaks; one instance runs it again', async () => {
    a = engine('instance-a2');
    await a.start();
    expect((await statusIn(a)).thisInstance).toBe('standby');
    const key = projectionLockKey(NAME);
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS terminated FROM pg_locks
          WHERE locktype = 'advisory' AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 2 AND granted`,
        [key.space, key.id],
      );
      expect(rows).toEqual([{ terminated: true }]);
    } finally {
      await admin.end();
    }
    await until(async () => logged.filter((line) => line.startsWith('instance-b: Projection logged lost its lock')), (lines) => lines.length === 1);
    await append(10, 5);
    expect(await until(applied, everythingOnce)).toEqual({ events: 400, positions: 400 });
    // Whichever took it: exactly one instance is active, and it is the owner both report.
    const [inA, inB] = await until(
      () => Promise.all([statusIn(a), statusIn(b)]),
      (both) => both.filter((s) => s.thisInstance === 'active').length === 1 && both.every((s) => s.owner !== null),
    );
    const active = inA.thisInstance === 'active' ? 'instance-a2' : 'instance-b';
    expect([inA.owner, inB.owner]).toEqual([active, active]);
  });

  it('rebuilds from the instance on standby while the other runs it, one rebuild at a time across instances', async () => {
    const [inA] = await Promise.all([statusIn(a)]);
    const [active, standby] = inA.thisInstance === 'active' ? [a, b] : [b, a];
    // A rebuild in a third instance that runs no projections, slowed down so the others can see it.
    const rebuilder = new ProjectionEngine(store, dataSource, [loggingProjection('rebuilder', 50)], {
      batchSize: 10,
      retryDelayMs: 100,
      standbyRetryMs: 50,
      instance: 'rebuilder',
      log: () => undefined,
    });
    await dataSource.query('DELETE FROM read_models.lock_log WHERE position % 2 = 0');
    const rebuilding = rebuilder.rebuild(NAME);
    await until(() => standby.isRebuilding(NAME), (running) => running);
    expect(await until(() => statusIn(active), (s) => s.state === 'rebuilding')).toMatchObject({ rebuild: expect.anything() });
    await expect(standby.rebuild(NAME)).rejects.toBeInstanceOf(RebuildInProgressError);
    await append(5, 2); // recorded during the rebuild: in the copy or applied after the switch, once
    const result = await rebuilding;
    expect(result.applied).toBeGreaterThan(0);
    await append(5, 2);
    expect(await until(applied, everythingOnce)).toEqual({ events: 420, positions: 420 });
    expect(await standby.isRebuilding(NAME)).toBe(false);
    expect((await statusIn(active)).rebuild).toBeNull();
  });

  it('reports standby with no owner when no instance runs it', async () => {
    await a.stop();
    await b.stop();
    const observer = engine('observer');
    expect(await statusIn(observer)).toMatchObject({ state: 'standby', owner: null, ownerSince: null, thisInstance: 'off' });
    const [row] = await dataSource.query(`SELECT owner FROM read_models.projection_checkpoints WHERE name = $1`, [NAME]);
    expect(row.owner).toBeNull();
  });
});
