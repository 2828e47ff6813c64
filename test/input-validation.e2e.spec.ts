import { EVENT_STORE, type EventStore } from '@app/event-store';
import { DossierApi, expectProblem, expectStatus, PURPOSE, queryDatabase, registrationBody } from './support/dossier-fixtures';
import { eventStoreOfItsOwn, onPostgresStore, type SuiteEventStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';

interface FieldError {
  field: string;
  messages: string[];
}

/**
 * What the service takes in, the same way in every body field, query and path parameter: no
 * U+0000 or other control character and no unpaired surrogate in any string; dates from
 * 1900-01-01 to 2099-12-31 (facts no later than today, which the rules check); integers in
 * query strings written as plain decimal digits, in bodies as JSON numbers. Each case is one the
 * service once took and then failed on (500, or a stopped projection); the property spec
 * (hostile-input.e2e.spec.ts) looks for more. Refused requests append nothing: the suite has an
 * event store of its own and watches its head.
 */
describe(`input validation (${onPostgresStore() ? 'postgres' : 'eventstoredb'} store)`, () => {
  let eventStore: SuiteEventStore;
  let testApp: TestApp;
  let store: EventStore;
  let staff: DossierApi;
  let admin: string;
  let auditor: string;
  let dossierId: string;

  beforeAll(async () => {
    eventStore = await eventStoreOfItsOwn();
    testApp = await startTestApp(eventStore.env);
    store = testApp.app.get<EventStore>(EVENT_STORE);
    staff = new DossierApi(testApp, await testApp.token('staff', 'validation-staff'));
    admin = await testApp.token('admin', 'validation-admin');
    auditor = await testApp.token('auditor', 'validation-auditor');
    dossierId = await staff.registered();
    await staff.recorded(dossierId, 'housed', { housingType: 'collective', municipality: '11002', on: '2022-04-01' });
  });
  afterAll(async () => {
    await testApp?.close();
    await eventStore?.stop();
  });

  const as = (token: string) => ({ Authorization: `Bearer ${token}`, 'X-Purpose': PURPOSE });

  /** Sends a request that must be refused with 400 validation-failed, and checks it appended nothing. */
  async function refused(send: () => PromiseLike<import('supertest').Response>): Promise<Map<string, string>> {
    const head = await store.headPosition();
    const response = await send();
    const problem = expectProblem(response, 400, 'validation-failed');
    expect(await store.headPosition()).toEqual(head);
    return new Map((problem.errors as FieldError[]).map((error) => [error.field, error.messages.join(' ')]));
  }

  describe('text: U+0000, control characters and unpaired surrogates, in any string', () => {
    it.each([
      ['U+0000', 'a\u0000b', /U\+0000/],
      ['a lone high surrogate', 'x\ud83d', /unpaired UTF-16 surrogate/],
      ['a lone low surrogate', '\ude00x', /unpaired UTF-16 surrogate/],
      ['an escape sequence', '\u001b[2J', /control characters/],
    ])('a registration whose given name holds %s: 400 naming person.givenName, nothing appended', async (_, givenName, why) => {
      const errors = await refused(() => staff.register(registrationBody({ person: { givenName } })));
      expect([...errors.keys()]).toEqual(['person.givenName']);
      expect(errors.get('person.givenName')).toMatch(why);
    });

    it('names every field that holds one, in a body nested at any depth, keys included, without repeating the defect', async () => {
      const response = await testApp
        .http()
        .post('/dossiers')
        .set(as(staff.token))
        .send(registrationBody({ person: { familyName: 'K\u0000', 'middle\u0000Name': 'x' }, protection: { attestationNumber: '\ud800' }, householdId: '\u0007' }));
      const problem = expectProblem(response, 400, 'validation-failed');
      expect((problem.errors as FieldError[]).map((e) => e.field).sort()).toEqual(
        ['householdId', 'person.familyName', 'person.middle\ufffdName', 'protection.attestationNumber'].sort(),
      );
      expect(response.text).not.toMatch(/\\u0000|\\ud800|\\u0007/);
    });

    it('keeps tab, line feed, carriage return and well-formed text in any script', async () => {
      const response = await staff.register(registrationBody({ person: { givenName: 'Олена 🇺🇦', familyName: 'Ковале́нко' }, householdId: 'line\tone\r\ntwo' }));
      expectStatus(response, 201);
    });

    it.each([
      ['U+0000', 'GDPR art. 17\u0000'],
      ['a lone surrogate', 'ticket \ud83d'],
    ])('an erasure whose reason holds %s: 400 before anything is erased; a valid reason still erases', async (_, reason) => {
      const id = await staff.registered();
      const errors = await refused(() => testApp.http().post(`/dossiers/${id}/erasure`).set(as(admin)).send({ reason }));
      expect([...errors.keys()]).toEqual(['reason']);
      const dossier = await staff.get(id);
      expect(dossier.body.person.givenName).toBe('Olena');
      expectStatus(await testApp.http().post(`/dossiers/${id}/erasure`).set(as(admin)).send({ reason: 'GDPR art. 17, ticket DPO-1' }), 201);
    });

    it.each([
      ['/dossiers', { q: 'a\u0000b' }, 'q'],
      ['/dossiers', { q: '\u0000' }, 'q'],
      ['/audit/access-log', { actor: '\u0000' }, 'actor'],
      ['/audit/access-log', { actor: 'mallory\u0001' }, 'actor'],
    ])('GET %s with %j: 400 naming it', async (path, query, field) => {
      const errors = await refused(() => testApp.http().get(path).query(query).set(as(path.startsWith('/audit') ? auditor : staff.token)));
      expect([...errors.keys()]).toEqual([field]);
    });

    it('a path parameter holding U+0000: 400 naming it, before any lookup', async () => {
      const errors = await refused(() => testApp.http().post('/projections/crt%00registry/rebuild').set(as(admin)));
      expect([...errors.keys()]).toEqual(['name']);
    });
  });

  describe('dates: calendar days from 1900-01-01 to 2099-12-31; facts no later than today', () => {
    it.each([
      ['person.birthDate', registrationBody({ person: { birthDate: '0000-01-01' } })],
      ['person.birthDate', registrationBody({ person: { birthDate: '1899-12-31' } })],
      ['registeredOn', registrationBody({ registeredOn: '0000-01-01' })],
      ['protection.grantedOn', registrationBody({ protection: { grantedOn: '0001-01-01' } })],
      ['registeredOn', registrationBody({ registeredOn: '2100-01-01' })],
    ])('a registration with %s out of range: 400 naming it, nothing appended', async (field, body) => {
      const errors = await refused(() => staff.register(body));
      expect([...errors.keys()]).toEqual([field]);
      expect(errors.get(field)).toMatch(/from 1900-01-01 to 2099-12-31/);
    });

    it('a birth date of 1900-01-01 is a date like any other', async () => {
      expectStatus(await staff.register(registrationBody({ person: { birthDate: '1900-01-01' } })), 201);
    });

    it('a fact dated in the year 0000: 400 naming on, nothing appended', async () => {
      const errors = await refused(() => staff.command(dossierId, 'vdab-registered', { on: '0000-01-01' }));
      expect([...errors.keys()]).toEqual(['on']);
    });

    it.each([
      ['/dossiers', 'registeredFrom=0000-01-01', 'registeredFrom'],
      ['/dossiers', 'registeredTo=9999-12-31', 'registeredTo'],
      ['/archive/dossiers', 'archivedFrom=0000-01-01', 'archivedFrom'],
      ['/archive/dossiers', 'leftBefore=0000-01-01', 'leftBefore'],
      ['/archive/dossiers', 'retainUntilBefore=2100-01-01', 'retainUntilBefore'],
      ['/statistics/stock', 'asOf=0000-01-01', 'asOf'],
      ['/statistics/flows', 'from=0000-01-01&to=2022-01-01', 'from'],
      ['/statistics/funnel', 'cohort=0000-03', 'cohort'],
      ['/statistics/funnel', 'cohort=2022-03&asOf=0000-01-01', 'asOf'],
      ['/statistics/outlook', 'endDate=2027-03-04&endDate=0000-01-01', 'endDate'],
      ['/audit/access-log', 'from=20220301', 'from'],
      ['/audit/access-log', 'from=0000-01-01', 'from'],
      ['/audit/access-log', 'to=2022-03-01T12:00:00', 'to'],
      ['/audit/access-log', 'to=2022-02-30T00:00:00Z', 'to'],
    ])('GET %s?%s: 400 naming %s', async (path, query, field) => {
      const token = path.startsWith('/audit') ? auditor : path.startsWith('/statistics') ? admin : staff.token;
      const errors = await refused(() => testApp.http().get(`${path}?${query}`).set(as(token)));
      expect([...errors.keys()]).toEqual([field]);
    });

    it.each(['asOf=0000-01-01T00:00:00Z', 'validOn=0000-01-01', 'asOf=2024-06-01T12:00:00'])('GET /dossiers/{id}?%s: 400', async (query) => {
      await refused(() => testApp.http().get(`/dossiers/${dossierId}?${query}`).set(as(staff.token)));
    });

    it('moments with an offset, or a date alone (its midnight UTC), are taken', async () => {
      for (const query of ['from=2022-03-01', 'from=2022-03-01T12:00:00%2B02:00', 'to=2099-12-31T23:59:59.999Z']) {
        expectStatus(await testApp.http().get(`/audit/access-log?${query}`).set(as(auditor)), 200);
      }
    });
  });

  describe('numbers: canonical decimal integers in queries, JSON numbers in bodies', () => {
    it.each(['page=1e308', 'page=1e3', 'page=', 'page=%20', 'page=05', 'page=%2B1', 'page=1.0', 'page=0x10', 'page=0', 'page=1000001', 'pageSize=201', 'page=1&page=2'])(
      'GET /dossiers?%s: 400 naming the parameter',
      async (query) => {
        const errors = await refused(() => testApp.http().get(`/dossiers?${query}`).set(as(staff.token)));
        expect([...errors.keys()]).toEqual([query.split('=')[0]]);
      },
    );

    it.each(['page=1e308', 'pageSize=501', 'page=true'])('GET /audit/access-log?%s: 400', async (query) => {
      await refused(() => testApp.http().get(`/audit/access-log?${query}`).set(as(auditor)));
    });

    it.each(['from=&to=2', 'from=1e0&to=2', 'from=0&to=-1', 'from=0&to=9999999999'])('GET /dossiers/{id}/diff?%s: 400', async (query) => {
      await refused(() => testApp.http().get(`/dossiers/${dossierId}/diff?${query}`).set(as(staff.token)));
    });

    it('canonical integers are taken', async () => {
      const page = await testApp.http().get('/dossiers?page=2&pageSize=1').set(as(staff.token));
      expectStatus(page, 200);
      expect(page.body).toMatchObject({ page: 2, pageSize: 1 });
      expectStatus(await testApp.http().get(`/dossiers/${dossierId}/diff?from=0&to=2`).set(as(staff.token)), 200);
    });
  });

  describe('residence statuses: one of the six to move to; a reopening may name temporary protection too', () => {
    it.each([
      [{ on: '2024-01-10', status: 'temporary-protection' }, 'status'],
      [{ on: '2024-01-10', status: 'Single-Permit' }, 'status'],
      [{ on: '2024-01-10' }, 'status'],
      [{ status: 'student' }, 'on'],
    ])('POST /dossiers/{id}/status-changed with %j: 400 naming %s, nothing appended', async (body, field) => {
      const errors = await refused(() => staff.command(dossierId, 'status-changed', body));
      expect([...errors.keys()]).toEqual([field]);
    });

    it('a reopening naming an unknown status: 400 naming residenceStatus', async () => {
      const errors = await refused(() => staff.command(dossierId, 'reopened', { on: '2024-01-10', residenceStatus: 'tourist' }));
      expect([...errors.keys()]).toEqual(['residenceStatus']);
    });
  });

  describe('archive runs: validated before anything is claimed or archived', () => {
    const runs = async () => (await testApp.http().get('/archive/runs').set(as(admin))).body.total as number;

    it.each([
      ['all', { all: null, reason: 'decommissioned' }],
      ['all', { all: 'true', reason: 'decommissioned' }],
      ['closedBefore', { closedBefore: '0000-01-01' }],
      ['reason', { all: true, reason: 'tool decommissioned\u0000' }],
      ['reason', { all: true, reason: 'tool \ud83d decommissioned' }],
      ['reason', { closedBefore: '2010-01-01', reason: '\u0000' }],
    ])('a run with a bad %s: 400 naming it; no run recorded, nothing archived', async (field, body) => {
      const before = await runs();
      const errors = await refused(() => testApp.http().post('/archive/runs').set(as(admin)).send(body));
      expect([...errors.keys()]).toEqual([field]);
      expect(await runs()).toBe(before);
    });

    it('a purge with a bad reason: 400 naming it', async () => {
      const errors = await refused(() => testApp.http().post('/archive/purge').set(as(admin)).send({ reason: 'retention\u0000' }));
      expect([...errors.keys()]).toEqual(['reason']);
    });

    // Skipped on EventStoreDB (reason): only PostgreSQL's table can be altered to make one dossier fail to load.
    (onPostgresStore() ? it : it.skip)("names a dossier that failed in a run with its problem's words, not the error's own text", async () => {
      const broken = await staff.registered();
      await queryDatabase(
        testApp.databaseUrl,
        `UPDATE event_store.events SET data = jsonb_set(data, '{personal,tag}', '"AAAAAAAAAAAAAAAAAAAAAA"') WHERE stream_id = $1 AND version = 1`,
        [`dossier-${broken}`],
      );
      await waitForProjections(testApp);
      const response = await testApp.http().post('/archive/runs').set(as(admin)).send({ all: true, reason: 'registration tool decommissioned' });
      expectStatus(response, 201);
      const failure = (response.body.failures as Array<{ dossierId: string; error: string }>).find((f) => f.dossierId === broken);
      // A sealed block altered behind the service's back: the words of 409 dossier-unreadable.
      expect(failure).toEqual({ dossierId: broken, error: `Version 1 of the dossier cannot be read as stored; nothing was read or changed. GET /dossiers/${broken}/verify checks it.` });
      expect(response.text).not.toMatch(/decrypt|PersonalData|does not|Error\b/);
    });
  });
});
