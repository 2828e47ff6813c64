import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOSSIER_STREAM_PREFIX } from '../libs/domain/src';
import { openRuntime, type OpenedRuntime } from '../libs/persistence/src';
import { PersonalDataProtection } from '../libs/personal-data/src';
import { loadConfig } from '../libs/platform/src';
import { ProjectionEngine, type Projection, type ProjectionStatus } from '@app/projection-engine';
import { allProjections } from '@app/read-models';
import { startEsdbTestServer, type EsdbTestServer, type SlowSubscriberBehaviour } from '../tools/esdb-test-server';
import { createTestDatabase } from '@app/testing';
import { appendGeneratedHistories } from './support/generated-histories';
import { readModels } from './support/read-models';

/**
 * The projection engine on EventStoreDB when its live subscriptions read too slowly for what is
 * appended: every projection waits on its first live batch while hundreds of dossiers are
 * recorded, far more than the node buffers for a live subscriber. A node from 24.2 on lets the
 * subscription fall behind and catch up from the log; an older one drops it and the adapter
 * subscribes again. Either way the read models end as a clean rebuild leaves them, and a
 * projection that records every event it is given, keyed by event id, shows none came twice
 * and none was skipped. Runs on EventStoreDB test servers (the behaviour is the server's setting).
 */

const PERSONAL_DATA_KEY = 'back-pressure-spec-master-secret-0123456789ab';

/** Opens and closes for every projection's apply: closed, handlers wait on their next batch. */
class Gate {
  private opened: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;
  close(): void {
    this.opened = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open();
  }
  passed(): Promise<void> {
    return this.opened;
  }
}

const held = (projection: Projection, gate: Gate): Projection => ({
  ...projection,
  apply: async (events, context) => {
    await gate.passed();
    await projection.apply(events, context);
  },
});

/** Every dossier event it is given, once: a second delivery of one breaks its primary key and stops it. */
const everyEventOnce: Projection = {
  name: 'every-event-once',
  tables: ['every_event_once'],
  streamPrefixes: [DOSSIER_STREAM_PREFIX],
  async apply(events, context) {
    for (const event of events) {
      await context.query(`INSERT INTO ${context.schema}.every_event_once (event_id, stream_id, version) VALUES ($1, $2, $3)`, [
        event.id,
        event.streamId,
        event.version,
      ]);
    }
  },
};

describe.each<[string, SlowSubscriberBehaviour, 'fellBehind' | 'dropped']>([
  ['falls behind and catches up from the log (24.2 and later)', 'fall-behind', 'fellBehind'],
  ['is dropped and subscribed again (before 24.2)', 'drop', 'dropped'],
])('Projections on EventStoreDB whose slow live subscription %s', (_label, slowSubscriber, counter) => {
  let server: EsdbTestServer;
  let database: { url: string; drop: () => Promise<void> };
  let opened: OpenedRuntime;
  let engine: ProjectionEngine;
  const logged: string[] = [];

  beforeAll(async () => {
    server = await startEsdbTestServer({ port: 0, slowSubscriber, liveBufferSize: 8, statsPeriodMs: 200 });
    database = await createTestDatabase();
    const config = loadConfig({
      DATABASE_URL: database.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'back-pressure-test-')),
      EVENTSTORE_URL: server.url,
      PERSONAL_DATA_KEY,
    });
    opened = await openRuntime(config);
    await opened.runtime.dataSource.query(
      'CREATE TABLE read_models.every_event_once (event_id uuid PRIMARY KEY, stream_id text NOT NULL, version integer NOT NULL)',
    );
    const gate = new Gate();
    const projections = [...allProjections(PersonalDataProtection.fromConfig(config)), everyEventOnce];
    engine = new ProjectionEngine(opened.runtime.eventStore, opened.runtime.dataSource, projections.map((p) => held(p, gate)), {
      batchSize: 100,
      retryDelayMs: 100,
      log: (message) => logged.push(message),
    });
    await appendGeneratedHistories(opened.runtime.eventStore, 20, 1);
    await engine.start();
    const names = projections.map((projection) => projection.name);
    const caughtUp = async () => Promise.all(names.map((name) => engine.waitUntilCaughtUp(name, 30_000)));
    expect(await caughtUp()).toEqual(names.map(() => true));

    gate.close();
    await appendGeneratedHistories(opened.runtime.eventStore, 100, 2);
    gate.release();
    expect(await caughtUp()).toEqual(names.map(() => true));
  }, 120_000);

  afterAll(async () => {
    await engine?.stop();
    await opened?.close();
    await server?.stop();
    await database?.drop();
  });

  it(`happened: the server's live subscriptions ${counter === 'dropped' ? 'were dropped' : 'fell behind'}`, () => {
    expect(server.counters[counter]).toBeGreaterThan(0);
    if (slowSubscriber === 'drop') {
      // Subscribed again after the last event handled, never from the start again.
      expect(server.subscriptionStarts.length).toBeGreaterThan(engine.projections.length);
      expect(server.subscriptionStarts.slice(engine.projections.length)).not.toContain('start');
    }
    // The adapter only sends positions the node gave.
    expect(server.counters.refusedPositions).toBe(0);
  });

  it('gave every dossier event to each projection once: none skipped, none twice', async () => {
    const statuses: ProjectionStatus[] = await engine.statuses();
    expect(statuses.filter((status) => status.state === 'stopped')).toEqual([]);
    const events = await opened.runtime.eventStore.readAll({ maxCount: 100_000, streamPrefixes: [DOSSIER_STREAM_PREFIX] });
    const [{ count }] = await opened.runtime.dataSource.query('SELECT count(*)::int AS count FROM read_models.every_event_once');
    expect(count).toBe(events.length);
    expect(events.length).toBeGreaterThan(400);
  });

  it("left the service's read models equal to what a clean rebuild makes", async () => {
    const services = engine.projections.filter((projection) => projection.name !== everyEventOnce.name);
    const projected = await readModels(opened.runtime.dataSource, services);
    await Promise.all(services.map((projection) => engine.rebuild(projection.name)));
    const rebuilt = await readModels(opened.runtime.dataSource, services);
    for (const table of Object.keys(rebuilt)) expect({ table, rows: projected[table] }).toEqual({ table, rows: rebuilt[table] });
  }, 60_000);
});
