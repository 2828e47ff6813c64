import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@app/event-store';
import { EventStoreDbEventStore } from '@app/event-store/eventstoredb';
import { deterministicUuid } from '../libs/platform/src';
import { CHECKPOINT_TABLE } from '@app/projection-engine';
import { ProjectionEngineHost } from '@app/read-models';
import { startEsdbTestServer, type EsdbTestServer, type SubscriptionStart } from '../tools/esdb-test-server';
import { commandBody, DossierApi, freshNationalRegisterNumber, registrationBody } from './support/dossier-fixtures';
import { waitForProjections } from './support/projections';
import { readModels } from './support/read-models';
import { startTestApp, type TestApp } from './support/test-app';
import { until } from '@app/testing';

/**
 * EventStoreDB restarting under a live service: the node goes down while commands are in flight
 * and the projections follow the log, and comes back on the same port with the same log, as a
 * node that restarts does. Meanwhile commands answer 503 and no append is left half-way;
 * retried with their Idempotency-Key afterwards, each command is recorded exactly once. The
 * projections reconnect by themselves, resume from their checkpoints, and their read models
 * equal a clean rebuild. Runs on an EventStoreDB test server of its own, whatever store the run
 * uses (a real node cannot be restarted from here).
 */

type Phase = 'before' | 'down' | 'after';

interface Sent {
  readonly kind: 'register' | 'housed';
  readonly key: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly status: number;
  readonly phase: Phase;
}

interface RawAppend {
  readonly stream: string;
  readonly ids: string[];
  readonly outcome: 'written' | 'unavailable';
}

const ACTOR = 'alice';
const commandIdOf = (key: string) => deterministicUuid(`command/${ACTOR}/${key}`);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('EventStoreDB restarting under a live service', () => {
  let server: EsdbTestServer;
  let testApp: TestApp;
  let api: DossierApi;

  beforeAll(async () => {
    server = await startEsdbTestServer({ port: 0, statsPeriodMs: 200 });
    testApp = await startTestApp({ EVENTSTORE_URL: server.url, PROJECTION_BATCH_SIZE: '50' });
    api = new DossierApi(testApp, await testApp.token('staff', ACTOR));
  });

  afterAll(async () => {
    await testApp?.close();
    await server?.stop();
  });

  it('answers 503 meanwhile, leaves no append half-way, and the projections resume from their checkpoints', async () => {
    let phase: Phase = 'before';
    let running = true;
    const sent: Sent[] = [];
    const raw: RawAppend[] = [];
    const succeeded = (during: Phase) => sent.filter((s) => s.phase === during && s.status === 201).length;

    async function send(kind: Sent['kind'], path: string, body: Record<string, unknown>) {
      const key = randomUUID();
      const at = phase;
      const response = await testApp.http().post(path).set({ Authorization: `Bearer ${api.token}`, 'Idempotency-Key': key }).send(body);
      sent.push({ kind, key, path, body, status: response.status, phase: at });
      return response;
    }
    const commands = async () => {
      while (running) {
        const { birthDate, nationalRegisterNumber } = freshNationalRegisterNumber();
        const registered = await send('register', '/dossiers', registrationBody({ person: { birthDate, nationalRegisterNumber } }));
        if (registered.status === 201) await send('housed', `/dossiers/${registered.body.dossierId}/housed`, commandBody('housed', '2022-04-01'));
        else await pause(20);
      }
    };
    // Appends of ten events each through the service's own connection: all of one or none.
    const store = testApp.app.get<EventStore>(EVENT_STORE);
    const appends = async () => {
      while (running) {
        const stream = `atomic-${randomUUID()}`;
        const ids = Array.from({ length: 10 }, () => randomUUID());
        const outcome = await store
          .append(stream, ids.map((id, i) => ({ id, type: 'Counted', data: { i }, metadata: {} })), 'no_stream')
          .then(() => 'written' as const)
          .catch(() => 'unavailable' as const);
        raw.push({ stream, ids, outcome });
        if (outcome === 'unavailable') await pause(20);
      }
    };
    const dataSource = testApp.app.get(DataSource);
    const checkpoints = async () =>
      (await dataSource.query(`SELECT name, position_commit::text AS commit, position_prepare::text AS prepare FROM ${CHECKPOINT_TABLE}`)) as Array<{
        name: string;
        commit: string;
        prepare: string;
      }>;

    await waitForProjections(testApp);
    const workers = [commands(), commands(), appends()];
    try {
      await until(async () => succeeded('before'), (n) => n >= 6, { what: 'Commands recorded before the restart' });

      phase = 'down';
      await server.goDown();
      const ready = await until(
        async () => ({ answered503: sent.filter((s) => s.phase === 'down' && s.status === 503).length, ready: (await testApp.http().get('/health/ready')).status }),
        (state) => state.answered503 >= 3 && state.ready === 503,
        { what: 'Commands answered 503 while EventStoreDB is down' },
      );
      expect(ready.ready).toBe(503);
      // Nothing can reach the projections now: where they stand is where they must resume.
      const atRestart = await checkpoints();
      const startsBefore = server.subscriptionStarts.length;

      phase = 'after';
      await server.comeBack();
      await until(async () => succeeded('after'), (n) => n >= 6, { what: 'Commands recorded after the restart', timeoutMs: 30_000 });
      running = false;
      await Promise.all(workers);

      // Never a 500: recorded, or 503 for those in flight when the node went, sent while it was away, or as it came back.
      expect(sent.filter((s) => s.status !== 201 && s.status !== 503)).toEqual([]);

      await waitForProjections(testApp, 30_000);
      // Each projection subscribed again from its checkpoint, never from the start of the log.
      const resumedFrom = server.subscriptionStarts.slice(startsBefore) as SubscriptionStart[];
      expect(resumedFrom).not.toContain('start');
      const resumed = resumedFrom.map((start) => (typeof start === 'string' ? start : `${start.commit}/${start.prepare}`));
      for (const checkpoint of atRestart) expect(resumed).toContain(`${checkpoint.commit}/${checkpoint.prepare}`);
    } finally {
      running = false;
      await Promise.allSettled(workers);
    }

    // Every append all or nothing, before any retry; retried with the same ids, written once.
    const reader = EventStoreDbEventStore.fromConnectionString(server.url);
    try {
      for (const append of raw) {
        const found = (await reader.readStream(append.stream)).map((e) => e.id);
        expect({ stream: append.stream, found: found.length === 0 ? 'none' : found }).toEqual({
          stream: append.stream,
          found: append.outcome === 'written' ? append.ids : found.length === 0 ? 'none' : append.ids,
        });
        if (append.outcome === 'unavailable') {
          await store.append(append.stream, append.ids.map((id, i) => ({ id, type: 'Counted', data: { i }, metadata: {} })), 'no_stream');
          expect((await reader.readStream(append.stream)).map((e) => e.id)).toEqual(append.ids);
        }
      }
      expect(raw.some((append) => append.outcome === 'unavailable')).toBe(true);

      // Each command answered 503, sent again with its key, is recorded; then every command is there exactly once.
      for (const command of sent.filter((s) => s.status === 503)) {
        const retried = await testApp.http().post(command.path).set({ Authorization: `Bearer ${api.token}`, 'Idempotency-Key': command.key }).send(command.body);
        expect({ key: command.key, status: retried.status }).toEqual({ key: command.key, status: 201 });
        if (command.kind === 'register') {
          const housed = await testApp.http().post(`/dossiers/${retried.body.dossierId}/housed`).set({ Authorization: `Bearer ${api.token}` }).send(commandBody('housed', '2022-04-01'));
          expect(housed.status).toBe(201);
        }
      }
      const all: RecordedEvent[] = await reader.readAll({ maxCount: 1_000_000 });
      const byCommand = new Map<string, RecordedEvent[]>();
      for (const event of all) {
        const causation = event.metadata.causationId as string | undefined;
        if (causation) byCommand.set(causation, [...(byCommand.get(causation) ?? []), event]);
      }
      for (const command of sent) {
        const recorded = byCommand.get(commandIdOf(command.key)) ?? [];
        // A registration: the number reserved, then the dossier registered; a housing: one event.
        const expected = command.kind === 'register' ? ['NationalRegisterNumberReserved', 'DossierRegistered'] : ['PersonHoused'];
        expect({ key: command.key, types: recorded.map((e) => e.type).sort() }).toEqual({ key: command.key, types: [...expected].sort() });
      }
    } finally {
      await reader.close();
    }

    // What the projections made through all this is what a clean rebuild makes.
    await waitForProjections(testApp, 30_000);
    const { engine } = testApp.app.get(ProjectionEngineHost);
    const projected = await readModels(dataSource, engine.projections);
    await Promise.all(engine.projections.map((projection) => engine.rebuild(projection.name)));
    const rebuilt = await readModels(dataSource, engine.projections);
    for (const table of Object.keys(rebuilt)) expect({ table, rows: projected[table] }).toEqual({ table, rows: rebuilt[table] });
    expect(server.counters.refusedPositions).toBe(0);
  }, 120_000);
});
