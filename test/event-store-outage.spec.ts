import { startEsdbTestServer, type EsdbTestServer } from '../tools/esdb-test-server';
import { commandBody, DossierApi, expectProblem, expectStatus } from './support/dossier-fixtures';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * When EventStoreDB goes away, clients get a clear 503 problem, never a 500, and what was asked
 * is not half-done: the same Idempotency-Key may be sent again once the store is back. Runs on
 * its own EventStoreDB test server, which it stops.
 */
describe('EventStoreDB unavailable', () => {
  let server: EsdbTestServer;
  let testApp: TestApp;
  let api: DossierApi;
  let dossierId: string;

  beforeAll(async () => {
    server = await startEsdbTestServer({ port: 0 });
    testApp = await startTestApp({ EVENTSTORE_URL: server.url });
    api = new DossierApi(testApp, await testApp.token('staff', 'alice'));
    dossierId = await api.registered();
    await server.stop();
  });
  afterAll(() => testApp.close());

  it('answers a command with 503 event-store-unavailable', async () => {
    const response = await api.command(dossierId, 'housed', commandBody('housed', '2022-04-01'), { 'Idempotency-Key': 'outage-1' });
    expect(expectProblem(response, 503, 'event-store-unavailable').detail).toMatch(/Retry later with the same Idempotency-Key/);
  });

  it('answers a registration and a read with 503', async () => {
    expectProblem(await api.register(), 503, 'event-store-unavailable');
    expectProblem(await api.get(dossierId), 503, 'event-store-unavailable');
  });

  it('is not ready, and says which dependency is down', async () => {
    const response = await testApp.http().get('/health/ready');
    expect(expectProblem(response, 503, 'not-ready').checks).toMatchObject({
      status: 'error',
      details: { database: { status: 'up' }, eventStore: { status: 'down' } },
    });
  });

  it('forgets an Idempotency-Key whose request failed on our side, so it can be retried', async () => {
    const again = await api.command(dossierId, 'housed', commandBody('housed', '2022-04-01'), { 'Idempotency-Key': 'outage-1' });
    expectProblem(again, 503, 'event-store-unavailable');
    expect(again.headers['idempotent-replayed']).toBeUndefined();
  });

  it('still answers liveness', async () => {
    expectStatus(await testApp.http().get('/health/live'), 200);
  });
});
