import { randomInt, randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@app/event-store';
import { dossierStreamId } from '@app/domain';
import { openEventStore } from '@app/persistence';
import { todayIn } from '@app/platform';
import { PersonalDataProtection, type SqlQuery } from '../libs/personal-data/src';
import { ERASURE_COMPLETION_ACTOR, ErasureCompletion, NationalRegisterReservations, UNRECORDED_ERASURE_REASON } from '@app/dossiers';
import {
  addDays,
  BUSINESS_TIME_ZONE,
  clockOnDay,
  DossierApi,
  expectNothingAppended,
  expectProblem,
  expectRuleViolation,
  expectStatus,
  nationalRegisterNumber,
  PURPOSE,
  queryDatabase,
  registrationBody,
  today,
} from './support/dossier-fixtures';
import { eventStoreUnderTest } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startAppOn, startTestApp, type TestApp } from './support/test-app';

const ERASED = '[erased]';

/** Letters only, so the values below occur nowhere else (names must be letters, not digits). */
const tag = () => Array.from({ length: 6 }, () => String.fromCharCode(97 + randomInt(26))).join('');

/**
 * A person no other suite records: unusual names with a random tag, a rare birth date (the main
 * person's 1931-07-29; others a random day of the 1930s, so that their numbers do not collide).
 */
function distinctivePerson(birthDate = addDays('1930-01-01', randomInt(3650))) {
  const t = tag();
  return {
    givenName: `Yevpraksiia${t}`,
    familyName: `Zhovtobriukh${t}`,
    birthDate,
    nationalRegisterNumber: nationalRegisterNumber(birthDate, 1 + randomInt(998)),
    attestationNumber: `ATT-${t.toUpperCase()}-0729`,
  };
}
type Person = ReturnType<typeof distinctivePerson>;
const personalValues = (p: Person) => [p.givenName, p.familyName, p.birthDate, p.nationalRegisterNumber, p.attestationNumber];

/**
 * Erasure of personal data (crypto-shredding) over HTTP: POST /dossiers/{id}/erasure destroys the
 * dossier's key; afterwards every reader shows "[erased]", the hash chain stays intact, the
 * statistics do not move, the number can be registered again, and no table of the database nor
 * any event of the store holds the person's data in plain. Business dates are in 2011, a year
 * only this suite records (the EventStoreDB log is shared by every suite of the run).
 */
describe(`erasure of personal data (${eventStoreUnderTest()} store)`, () => {
  let testApp: TestApp;
  let staff: DossierApi;
  let admin: DossierApi;
  let analyst: string;
  let auditor: string;

  // The service's business day for this file, fixed so that a run across midnight in Brussels
  // does not see two: erasures recorded over HTTP are on it.
  const day = today();
  beforeAll(async () => {
    testApp = await startTestApp({}, { clock: clockOnDay(day) });
    staff = new DossierApi(testApp, await testApp.token('staff', 'erasure-staff'));
    admin = staff.as(await testApp.token('admin', 'erasure-admin'));
    analyst = await testApp.token('analyst', 'erasure-analyst');
    auditor = await testApp.token('auditor', 'erasure-auditor');
    // Every number shown, so that "unchanged" is about real counts.
    expectStatus(await testApp.http().put('/statistics/settings').set('Authorization', `Bearer ${admin.token}`).send({ suppressBelow: 0 }), 200);
    // On a shared EventStoreDB log the projections first catch up with every earlier suite's events.
    await waitForProjections(testApp, 90_000);
  }, 120_000);
  afterAll(() => testApp.close());

  const erase = (dossierId: string, body: unknown, token = admin.token, headers: Record<string, string> = {}) =>
    testApp.http().post(`/dossiers/${dossierId}/erasure`).set({ Authorization: `Bearer ${token}`, ...headers }).send(body as object);

  async function register(person: Person, registeredOn = '2011-03-14', headers: Record<string, string> = {}): Promise<string> {
    const { attestationNumber, ...rest } = person;
    const response = await staff.register(
      registrationBody({ person: rest, protection: { attestationNumber, grantedOn: '2011-03-10' }, registeredOn, householdId: null }),
      headers,
    );
    expectStatus(response, 201);
    return response.body.dossierId as string;
  }

  /** Each table of each non-system schema, with the values (case-insensitive) found in its rows as text. */
  async function tablesHolding(values: string[]): Promise<Record<string, string[]>> {
    const tables = await queryDatabase<{ name: string }>(
      testApp.databaseUrl,
      `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg\\_%'
        ORDER BY 1`,
    );
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['public.personal_data_keys', 'public.access_log', 'public.idempotency_keys', 'read_models.crt_dossiers']),
    );
    const found: Record<string, string[]> = {};
    for (const { name } of tables) {
      const rows = await queryDatabase<{ value: string }>(
        testApp.databaseUrl,
        `SELECT value FROM unnest($1::text[]) AS value
          WHERE EXISTS (SELECT 1 FROM ${name} AS t WHERE strpos(lower(t::text), lower(value)) > 0)`,
        [values],
      );
      if (rows.length > 0) found[name] = rows.map((row) => row.value);
    }
    return found;
  }

  /** Every event of the store (on EventStoreDB the whole shared log) whose JSON holds one of the values. */
  async function eventsHolding(values: string[]): Promise<RecordedEvent[]> {
    const store = await openEventStore({ eventStoreUrl: testApp.config.eventStoreUrl, databaseUrl: testApp.databaseUrl });
    try {
      const events = await store.readAll();
      expect(events.length).toBeGreaterThan(0);
      return events.filter((event) => {
        const json = JSON.stringify({ streamId: event.streamId, data: event.data, metadata: event.metadata }).toLowerCase();
        return values.some((value) => json.includes(value.toLowerCase()));
      });
    } finally {
      await store.close();
    }
  }

  const statistics = async () => {
    const get = async (path: string) => {
      const response = await testApp.http().get(path).set('Authorization', `Bearer ${analyst}`);
      expectStatus(response, 200);
      // lastBusinessDate is the whole read model's, and other suites append to a shared log meanwhile.
      const { lastBusinessDate, ...answer } = response.body as { lastBusinessDate: unknown };
      expect(lastBusinessDate).toEqual(expect.any(String));
      return answer;
    };
    return {
      stock: await get('/statistics/stock?asOf=2011-12-31&groupBy=municipality'),
      flows: await get('/statistics/flows?from=2011-01-01&to=2011-12-31&interval=quarter'),
      funnel: await get('/statistics/funnel?cohort=2011-03&asOf=2011-12-31'),
    };
  };

  /** The 2011 stock by age band: active dossiers per band. */
  const byAgeBand = async () => {
    const response = await testApp.http().get('/statistics/stock?asOf=2011-12-31&groupBy=ageBand').set('Authorization', `Bearer ${analyst}`);
    expectStatus(response, 200);
    return Object.fromEntries((response.body.groups as Array<{ group: { ageBand: string }; active: { value: number } }>).map((g) => [g.group.ageBand, g.active.value]));
  };

  const crtRow = async (dossierId: string) => {
    const response = await testApp
      .http()
      .get('/dossiers?registeredFrom=2011-01-01&registeredTo=2011-12-31&pageSize=200')
      .set({ Authorization: `Bearer ${auditor}`, 'X-Purpose': PURPOSE });
    expectStatus(response, 200);
    return (response.body.items as Array<Record<string, unknown>>).find((item) => item.dossierId === dossierId);
  };

  describe('a dossier whose personal data is erased', () => {
    const person = distinctivePerson('1931-07-29');
    let dossierId: string;
    let before: Awaited<ReturnType<typeof statistics>>;
    let bandsBefore: Record<string, number>;

    it('holds the personal data nowhere in plain but in the CRT registry before the erasure (so the search below can fail)', async () => {
      dossierId = await register(person, '2011-03-14', { 'Idempotency-Key': `erasure-${tag()}` });
      await staff.recorded(dossierId, 'housed', { housingType: 'collective', municipality: '11002', on: '2011-03-20' });
      await staff.recorded(dossierId, 'vdab-registered', { on: '2011-05-02' });
      await staff.recorded(dossierId, 'employment-started', { on: '2011-09-01' });
      await staff.recorded(dossierId, 'status-changed', { on: '2012-02-01', status: 'single-permit' });
      // Reads of personal data, recorded in the access log; a search whose query names the person.
      expect((await staff.get(dossierId)).body.person).toMatchObject({ givenName: person.givenName, birthDate: person.birthDate });
      expectStatus(await staff.history(dossierId), 200);
      await waitForProjections(testApp);
      const search = await testApp.http().get(`/dossiers?q=${person.familyName}`).set({ Authorization: `Bearer ${staff.token}`, 'X-Purpose': PURPOSE });
      expect(search.body.items.map((item: { dossierId: string }) => item.dossierId)).toEqual([dossierId]);

      const found = await tablesHolding(personalValues(person));
      expect(found['read_models.crt_dossiers']).toEqual(expect.arrayContaining([person.givenName, person.familyName, person.birthDate, person.nationalRegisterNumber]));
      // The events hold the personal block encrypted; the service's own tables hold none of it.
      for (const table of Object.keys(found)) expect(table).toMatch(/^read_models\./);
      expect(await eventsHolding(personalValues(person))).toEqual([]);
      const [access] = await queryDatabase<{ n: number }>(testApp.databaseUrl, 'SELECT count(*)::int AS n FROM access_log WHERE $1 = ANY(dossier_ids)', [dossierId]);
      expect(access.n).toBeGreaterThanOrEqual(3);
      const [idempotency] = await queryDatabase<{ n: number }>(
        testApp.databaseUrl,
        `SELECT count(*)::int AS n FROM idempotency_keys WHERE response_body->>'dossierId' = $1`,
        [dossierId],
      );
      expect(idempotency.n).toBe(1);
      before = await statistics();
      bandsBefore = await byAgeBand();
      expect(bandsBefore['65+']).toBeGreaterThanOrEqual(1);
    });

    it('is for admins only: staff, auditors and analysts get 403 and nothing is recorded', async () => {
      for (const token of [staff.token, auditor, analyst]) {
        const response = await expectNothingAppended(staff, dossierId, () => erase(dossierId, { reason: 'not theirs to do' }, token));
        expectProblem(response, 403, 'forbidden');
      }
      expectStatus(await erase(dossierId, { reason: 'no token' }, ''), 401);
    });

    it('needs a reason of 1 to 500 characters, and nothing else; a refused request records nothing', async () => {
      // Text PostgreSQL cannot store (U+0000, an unpaired surrogate) is refused before anything irreversible.
      const unstorable = [{ reason: 'ticket\u0000 42' }, { reason: 'ticket \ud83d' }];
      for (const body of [{}, { reason: '' }, { reason: '   ' }, { reason: 'x'.repeat(501) }, { reason: 42 }, { reason: 'ok', on: '2011-01-01' }, ...unstorable]) {
        const response = await expectNothingAppended(staff, dossierId, () => erase(dossierId, body));
        expectProblem(response, 400, 'validation-failed');
      }
      const stale = await expectNothingAppended(staff, dossierId, () => erase(dossierId, { reason: 'pinned' }, admin.token, { 'If-Match': '"1"' }));
      expectProblem(stale, 412, 'version-mismatch');
      expect((await staff.get(dossierId)).body.person.familyName).toBe(person.familyName);
    });

    it('erases: 201 with the new version; dossier, history and CRT registry show "[erased]"', async () => {
      const response = await erase(dossierId, { reason: 'GDPR art. 17 request, ticket DPO-2011-0042' }, admin.token, { 'If-Match': '"5"' });
      expectStatus(response, 201);
      expect(response.body).toEqual({ dossierId, version: 6 });
      expect(response.headers.etag).toBe('"6"');

      const dossier = await staff.get(dossierId);
      expectStatus(dossier, 200);
      expect(dossier.body).toMatchObject({
        version: 6,
        person: { givenName: ERASED, familyName: ERASED, birthDate: ERASED, nationalRegisterNumber: ERASED, sex: 'female', nationality: 'UKR' },
        protection: { attestationNumber: ERASED, grantedOn: '2011-03-10' },
        personalDataErased: { on: day, reason: 'GDPR art. 17 request, ticket DPO-2011-0042' },
        employment: { since: '2011-09-01' },
        // Kept, as housing and employment are: the erasure removes who the person is, not what happened.
        residenceStatus: { status: 'single-permit', since: '2012-02-01' },
      });

      const history = await staff.history(dossierId);
      const events = history.body.events as Array<{ type: string; actor: string; data: Record<string, unknown> }>;
      expect(events.map((e) => e.type)).toEqual(['DossierRegistered', 'PersonHoused', 'VdabRegistered', 'EmploymentStarted', 'ResidenceStatusChanged', 'PersonalDataErased']);
      expect(events[0].data.personal).toEqual({
        givenName: ERASED,
        familyName: ERASED,
        birthDate: ERASED,
        nationalRegisterNumber: ERASED,
        attestationNumber: ERASED,
      });
      expect(events[4].data).toEqual({ on: '2012-02-01', status: 'single-permit', previousStatus: 'temporary-protection' });
      expect(events[5]).toMatchObject({ actor: 'erasure-admin', data: { on: day, reason: 'GDPR art. 17 request, ticket DPO-2011-0042' } });

      await waitForProjections(testApp);
      expect(await crtRow(dossierId)).toMatchObject({
        person: { givenName: ERASED, familyName: ERASED, birthDate: ERASED, nationalRegisterNumber: ERASED },
        stage: 'employed',
        personalDataErasedOn: day,
      });
      const search = await testApp.http().get(`/dossiers?q=${person.familyName}`).set({ Authorization: `Bearer ${staff.token}`, 'X-Purpose': PURPOSE });
      expect(search.body.total).toBe(0);
    });

    it('leaves the hash chain intact and the statistics as they were', async () => {
      const verify = await testApp.http().get(`/dossiers/${dossierId}/verify`).set('Authorization', `Bearer ${auditor}`);
      expectStatus(verify, 200);
      expect(verify.body).toMatchObject({ dossierId, intact: true, version: 6 });
      expect(await statistics()).toEqual(before);
    });

    it('moves the person from their age band to unknown: the statistics forget the birth date with the key', async () => {
      const expected: Record<string, number> = { ...bandsBefore, '65+': bandsBefore['65+'] - 1, unknown: (bandsBefore.unknown ?? 0) + 1 };
      // A band nobody is in is no group of the stock.
      if (expected['65+'] === 0) delete expected['65+'];
      expect(await byAgeBand()).toEqual(expected);
    });

    it('leaves no trace of the personal data in plain in any table of the database, nor in any event of the store', async () => {
      expect(await tablesHolding(personalValues(person))).toEqual({});
      expect(await eventsHolding(personalValues(person))).toEqual([]);
      const [key] = await queryDatabase<{ wrapped_key: Buffer | null; erased: boolean }>(
        testApp.databaseUrl,
        'SELECT wrapped_key, erased_at IS NOT NULL AS erased FROM personal_data_keys WHERE dossier_id = $1',
        [dossierId],
      );
      expect(key).toEqual({ wrapped_key: null, erased: true });
    });

    it('refuses a second erasure with 409 personal-data-already-erased, and answers 404 for an unknown dossier', async () => {
      const again = await expectNothingAppended(staff, dossierId, () => erase(dossierId, { reason: 'once more' }));
      expect(expectRuleViolation(again, 'personal-data-already-erased').erasedOn).toBe(day);
      expectProblem(await erase('00000000-0000-4000-8000-000000000000', { reason: 'nobody' }), 404, 'dossier-not-found');
      expectProblem(await erase('not-a-dossier', { reason: 'nobody' }), 404, 'dossier-not-found');
    });

    it('frees the national register number: the person can be registered anew, as a new dossier', async () => {
      const again = await register({ ...person, givenName: `${person.givenName}x` });
      expect(again).not.toBe(dossierId);
      expect((await staff.get(again)).body.person.nationalRegisterNumber).toBe(person.nationalRegisterNumber);
      const third = await staff.register(registrationBody({ person: { nationalRegisterNumber: person.nationalRegisterNumber, birthDate: person.birthDate } }));
      expect(expectRuleViolation(third, 'national-register-number-taken').existingDossierId).toBe(again);
    });
  });

  it('leaves the erased key on no instance of the service: a second instance on the same database drops the key it kept on the notice', async () => {
    // The same data directory: the same PERSONAL_DATA_KEY, as every instance of an installation has.
    const second = await startAppOn(testApp.databaseUrl, testApp.config.dataDir);
    try {
      const person = distinctivePerson();
      const id = await register(person, '2011-05-02');
      const elsewhere = new DossierApi(second, await second.token('staff', 'erasure-staff-elsewhere'));
      const before = await elsewhere.get(id);
      expectStatus(before, 200);
      expect(before.body.person.familyName).toBe(person.familyName);
      // Whether the second instance keeps the dossier's key, as it shows: revealing the stored registration (read
      // before the erasure) reads no key row.
      const keys = second.app.get(PersonalDataProtection);
      const [registration] = await second.app.get<EventStore>(EVENT_STORE).readStream(dossierStreamId(id));
      const keepsKey = async () => {
        let keyReads = 0;
        await keys.revealDossier([registration], (sql, parameters) => {
          keyReads++;
          return queryDatabase(testApp.databaseUrl, sql, parameters);
        });
        return keyReads === 0;
      };
      expect(registration.type).toBe('DossierRegistered');
      expect(await keepsKey()).toBe(true);

      expectStatus(await erase(id, { reason: 'request of the person' }), 201);
      const deadline = Date.now() + 5_000;
      while ((await keepsKey()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await keepsKey()).toBe(false);
      const after = await elsewhere.get(id);
      expectStatus(after, 200);
      expect(after.body.person).toMatchObject({ givenName: ERASED, familyName: ERASED, birthDate: ERASED });
    } finally {
      await second.close();
    }
  }, 60_000);

  it('an Idempotency-Key replays the first answer and erases once', async () => {
    const id = await register(distinctivePerson(), '2011-04-01');
    const headers = { 'Idempotency-Key': `erase-${tag()}` };
    const first = await erase(id, { reason: 'retention ended' }, admin.token, headers);
    expectStatus(first, 201);
    const replay = await erase(id, { reason: 'retention ended' }, admin.token, headers);
    expectStatus(replay, 201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect((await staff.history(id)).body.events).toHaveLength(2);
  });

  it('finishes an erasure that stopped half-way: after the number was released, or after the key was destroyed', async () => {
    const reservations = testApp.app.get(NationalRegisterReservations);
    const personalData = testApp.app.get(PersonalDataProtection);
    const query: SqlQuery = (sql, parameters) => queryDatabase(testApp.databaseUrl, sql, parameters);
    const crashed = () => ({ actor: 'erasure-admin', correlationId: 'crashed-erasure', commandId: randomUUID() });

    // Stopped after releasing the number.
    const released = distinctivePerson();
    const first = await register(released, '2011-04-02');
    await reservations.release(released.nationalRegisterNumber, first, crashed());
    expect((await staff.get(first)).body.person.familyName).toBe(released.familyName);
    expectStatus(await erase(first, { reason: 'resumed' }), 201);
    expect((await staff.get(first)).body).toMatchObject({ person: { familyName: ERASED }, personalDataErased: { reason: 'resumed' } });

    // Stopped after destroying the key: the dossier already reads erased, but no event says so.
    const destroyed = distinctivePerson();
    const second = await register(destroyed, '2011-04-03');
    await reservations.release(destroyed.nationalRegisterNumber, second, crashed());
    await personalData.erase(query, second);
    expect((await staff.get(second)).body).toMatchObject({ version: 1, person: { familyName: ERASED }, personalDataErased: null });
    const resumed = await erase(second, { reason: 'resumed' });
    expectStatus(resumed, 201);
    expect(resumed.body).toEqual({ dossierId: second, version: 2 });
    expect((await staff.get(second)).body.personalDataErased).toEqual({ on: day, reason: 'resumed' });

    // Both numbers are free again.
    for (const person of [released, destroyed]) await register(person, '2011-04-04');
  });

  it('records, in the check every instance runs, an erasure an earlier version left with the key destroyed and no event', async () => {
    const person = distinctivePerson();
    const id = await register(person, '2011-04-06');
    const reservations = testApp.app.get(NationalRegisterReservations);
    const query: SqlQuery = (sql, parameters) => queryDatabase(testApp.databaseUrl, sql, parameters);
    // What an earlier version left when it died after destroying the key, before recording the event.
    await reservations.release(person.nationalRegisterNumber, id, { actor: 'erasure-admin', correlationId: 'old-version', commandId: randomUUID() });
    await testApp.app.get(PersonalDataProtection).erase(query, id);
    await waitForProjections(testApp);
    expect(await testApp.app.get(ErasureCompletion).finishInterrupted()).toBeGreaterThanOrEqual(1);
    const events = (await staff.history(id)).body.events as Array<{ type: string; actor: string; data: { reason: string } }>;
    expect(events.map((event) => event.type)).toEqual(['DossierRegistered', 'PersonalDataErased']);
    expect(events[1]).toMatchObject({ actor: ERASURE_COMPLETION_ACTOR, data: { reason: UNRECORDED_ERASURE_REASON } });
    await waitForProjections(testApp);
    // Recorded on the day the key was destroyed (its time, not the service's clock).
    const [{ erasedAt }] = await queryDatabase<{ erasedAt: Date }>(testApp.databaseUrl, 'SELECT erased_at AS "erasedAt" FROM personal_data_keys WHERE dossier_id = $1', [id]);
    expect(await crtRow(id)).toMatchObject({ person: { familyName: ERASED }, personalDataErasedOn: todayIn(BUSINESS_TIME_ZONE, erasedAt) });
    // Once is enough.
    await testApp.app.get(ErasureCompletion).finishInterrupted();
    expect((await staff.history(id)).body.events).toHaveLength(2);
  });

  it('a repeated erasure destroys the key again when a restore of PostgreSQL brought it back, and still answers 409', async () => {
    const id = await register(distinctivePerson(), '2011-04-05');
    const keyOf = async () =>
      (await queryDatabase<{ wrapped_key: Buffer | null; erased_at: Date | null }>(
        testApp.databaseUrl,
        'SELECT wrapped_key, erased_at FROM personal_data_keys WHERE dossier_id = $1',
        [id],
      ))[0];
    const backup = await keyOf();
    expectStatus(await erase(id, { reason: 'retention ended' }), 201);
    // A backup from before the erasure is restored (as a restore would, past the trigger).
    await queryDatabase(testApp.databaseUrl, 'ALTER TABLE personal_data_keys DISABLE TRIGGER personal_data_keys_stay_erased');
    await queryDatabase(testApp.databaseUrl, 'UPDATE personal_data_keys SET wrapped_key = $2, erased_at = NULL WHERE dossier_id = $1', [
      id,
      backup.wrapped_key,
    ]);
    await queryDatabase(testApp.databaseUrl, 'ALTER TABLE personal_data_keys ENABLE TRIGGER personal_data_keys_stay_erased');
    expect((await keyOf()).erased_at).toBeNull();
    // The dossier still reads erased (its PersonalDataErased event says so) ...
    expect((await staff.get(id)).body.person.familyName).toBe(ERASED);
    // ... and repeating the erasure destroys the restored key.
    expectRuleViolation(await erase(id, { reason: 'again after restore' }), 'personal-data-already-erased');
    expect(await keyOf()).toEqual({ wrapped_key: null, erased_at: expect.any(Date) });
  });
});
