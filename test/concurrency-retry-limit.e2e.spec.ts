import { commandBody, DossierApi, expectProblem, expectStatus } from './support/dossier-fixtures';
import { withCompetingAppend } from './support/competing-append';
import { startTestApp, type TestApp } from './support/test-app';
import { onPostgresStore } from './support/event-store-under-test';

/**
 * Retries after a concurrency conflict are bounded (COMMAND_RETRIES): with none allowed, a
 * conflict with another process is a 409 concurrent-modification, and nothing of the command is
 * written.
 */
// Skipped on EventStoreDB (reason): the competing writer holds the stream's append lock in PostgreSQL (event_store.lock_stream) to wedge its append between the service's read and its append; EventStoreDB has no such lock to hold.
(!onPostgresStore() ? describe.skip : describe)('bounded retries after a conflict (COMMAND_RETRIES=0)', () => {
  let testApp: TestApp;
  let api: DossierApi;

  beforeAll(async () => {
    testApp = await startTestApp({ COMMAND_RETRIES: '0' });
    api = new DossierApi(testApp, await testApp.token('staff', 'alice'));
  });
  afterAll(() => testApp.close());

  it('gives up with 409 concurrent-modification when another process wrote in between', async () => {
    const id = await api.registered();
    await api.recorded(id, 'housed', commandBody('housed', '2022-04-01'));
    const response = await withCompetingAppend(testApp.databaseUrl, id, { type: 'VdabRegistered', data: { on: '2022-04-15' } }, () =>
      api.command(id, 'rehoused', commandBody('rehoused', '2022-05-01')),
    );
    const problem = expectProblem(response, 409, 'concurrent-modification');
    expect(problem.rule).toBe('concurrent-modification');
    const history = await api.history(id);
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual(['DossierRegistered', 'PersonHoused', 'VdabRegistered']);
    // Resent on fresh state it is accepted.
    const resent = await api.command(id, 'rehoused', commandBody('rehoused', '2022-05-01'));
    expectStatus(resent, 201);
    expect(resent.body.version).toBe(4);
  });
});
