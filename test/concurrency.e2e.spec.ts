import type { Response } from 'supertest';
import {
  commandBody,
  DossierApi,
  expectProblem,
  expectRuleViolation,
  expectStatus,
  queryDatabase,
} from './support/dossier-fixtures';
import { withCompetingAppend } from './support/competing-append';
import { startTestApp, type TestApp } from './support/test-app';
import { onPostgresStore } from './support/event-store-under-test';

/**
 * Many writers on one dossier: without If-Match every command lands (versions dense, nothing
 * lost) and rules are decided on the state each one really follows; with If-Match exactly one of
 * several writers of the same version wins and the others get 412.
 */
describe('concurrent writers over HTTP', () => {
  let testApp: TestApp;
  let api: DossierApi;
  const onPostgres = onPostgresStore();

  beforeAll(async () => {
    testApp = await startTestApp();
    api = new DossierApi(testApp, await testApp.token('staff', 'alice'));
  });
  afterAll(() => testApp.close());

  async function housedDossier(): Promise<string> {
    const id = await api.registered();
    await api.recorded(id, 'housed', { housingType: 'collective', municipality: '11002', on: '2022-04-01' });
    return id;
  }

  async function history(id: string): Promise<Array<{ version: number; type: string; data: Record<string, unknown> }>> {
    const response = await api.history(id);
    expectStatus(response, 200);
    return response.body.events;
  }

  const rehousing = (i: number) => ({
    housingType: i % 2 === 0 ? 'host-family' : 'social-rental',
    municipality: '11002',
    on: '2022-05-01',
    reason: 'other',
  });

  it('50 concurrent rehousings without If-Match: all 201, version 52, versions dense, none lost', async () => {
    const id = await housedDossier();
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => api.command(id, 'rehoused', rehousing(i))));
    for (const response of responses) expectStatus(response, 201);
    // Each got its own version: 3..52, each once.
    expect(responses.map((r) => r.body.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 3));
    for (const response of responses) expect(response.headers.etag).toBe(`"${response.body.version}"`);

    const view = await api.get(id);
    expect(view.body.version).toBe(2 + 50);
    expect(view.headers.etag).toBe('"52"');
    const events = await history(id);
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
    expect(events.filter((e) => e.type === 'PersonRehoused')).toHaveLength(50);
    // Each rehousing names the housing it actually replaced: a chain, no lost update.
    for (let i = 2; i < events.length; i++) {
      expect(events[i].data.previousHousingType).toBe(events[i - 1].data.housingType);
    }
    if (onPostgres) {
      const [row] = await queryDatabase<{ n: number; versions: number }>(
        testApp.databaseUrl,
        'SELECT count(*)::int AS n, count(DISTINCT version)::int AS versions FROM event_store.events WHERE stream_id = $1',
        [`dossier-${id}`],
      );
      expect(row).toEqual({ n: 52, versions: 52 });
    }
  });

  it('rules are decided on the state each writer follows: 10 concurrent job starts → one 201, nine already-employed', async () => {
    const id = await housedDossier();
    const responses = await Promise.all(Array.from({ length: 10 }, () => api.command(id, 'employment-started', { on: '2022-06-01' })));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    for (const response of responses.filter((r) => r.status !== 201)) expectRuleViolation(response, 'already-employed');
    const events = await history(id);
    expect(events.filter((e) => e.type === 'EmploymentStarted')).toHaveLength(1);
    expect(events).toHaveLength(3);
  });

  it('a departure racing with rehousings: everything after it is refused with person-has-left', async () => {
    const id = await housedDossier();
    const requests: Array<Promise<Response>> = [];
    for (let i = 0; i < 10; i++) {
      if (i === 5) requests.push(Promise.resolve(api.command(id, 'left', { on: '2022-05-01', reason: 'moved-abroad' })));
      requests.push(Promise.resolve(api.command(id, 'rehoused', rehousing(i))));
    }
    const responses = await Promise.all(requests);
    const events = await history(id);
    const leftAt = events.findIndex((e) => e.type === 'PersonLeft');
    expect(leftAt).toBeGreaterThan(0);
    expect(events.slice(leftAt + 1)).toEqual([]); // nothing recorded after the departure
    const accepted = responses.filter((r) => r.status === 201).length;
    expect(events).toHaveLength(2 + accepted);
    for (const response of responses.filter((r) => r.status !== 201)) expectRuleViolation(response, 'person-has-left');
  });

  it('5 writers with If-Match on the same version: exactly one 201, four 412', async () => {
    const id = await housedDossier();
    const etag = (await api.get(id)).headers.etag;
    expect(etag).toBe('"2"');
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, i) => api.command(id, 'rehoused', rehousing(i), { 'If-Match': etag })),
    );
    const winners = responses.filter((r) => r.status === 201);
    expect(winners).toHaveLength(1);
    expect(winners[0].body.version).toBe(3);
    for (const response of responses.filter((r) => r.status !== 201)) {
      const problem = expectProblem(response, 412, 'version-mismatch');
      expect(problem.currentVersion).toBe(3);
    }
    const events = await history(id);
    expect(events.map((e) => e.version)).toEqual([1, 2, 3]);
  });

  it('50 concurrent registrations without a national register number: 50 distinct dossiers', async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, () => api.register()));
    for (const response of responses) expectStatus(response, 201);
    const ids = new Set(responses.map((r) => r.body.dossierId));
    expect(ids.size).toBe(50);
    for (const response of responses) expect(response.body.version).toBe(1);
  });

  /** Another process appends to the dossier between this service's read and its append. */
  // Skipped on EventStoreDB (reason): the competing writer holds the stream's append lock in PostgreSQL (event_store.lock_stream) to wedge its append between the service's read and its append; EventStoreDB has no such lock to hold.
  (onPostgres ? describe : describe.skip)('a writer in another process', () => {
    const competingAppend = (...args: Parameters<typeof withCompetingAppend> extends [unknown, ...infer R] ? R : never) =>
      withCompetingAppend(testApp.databaseUrl, ...args);

    it('without If-Match the conflict is retried on fresh state: 201 after the competing event', async () => {
      const id = await housedDossier();
      const response = await competingAppend(
        id,
        { type: 'VdabRegistered', data: { on: '2022-04-15' } },
        () => api.command(id, 'rehoused', rehousing(0)),
      );
      expectStatus(response, 201);
      expect(response.body.version).toBe(4);
      const events = await history(id);
      expect(events.map((e) => e.type)).toEqual(['DossierRegistered', 'PersonHoused', 'VdabRegistered', 'PersonRehoused']);
    });

    it('the retry checks the rules again: a competing housing turns a housed command into 409 already-housed', async () => {
      const id = await api.registered();
      const response = await competingAppend(
        id,
        { type: 'PersonHoused', data: { housingType: 'loi', municipality: '11002', on: '2022-04-01' } },
        () => api.command(id, 'housed', commandBody('housed', '2022-04-02')),
      );
      expectRuleViolation(response, 'already-housed');
      const events = await history(id);
      expect(events.map((e) => e.type)).toEqual(['DossierRegistered', 'PersonHoused']);
      expect(events[1].data.housingType).toBe('loi');
    });

    it('with If-Match a competing append gives 412, and nothing of ours is written', async () => {
      const id = await housedDossier();
      const response = await competingAppend(
        id,
        { type: 'VdabRegistered', data: { on: '2022-04-15' } },
        () => api.command(id, 'rehoused', rehousing(0), { 'If-Match': '"2"' }),
      );
      const problem = expectProblem(response, 412, 'version-mismatch');
      expect(problem.currentVersion).toBe(3);
      const events = await history(id);
      expect(events.map((e) => e.type)).toEqual(['DossierRegistered', 'PersonHoused', 'VdabRegistered']);
    });
  });
});
