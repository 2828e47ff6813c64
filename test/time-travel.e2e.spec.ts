import { DossierApi, expectProblem, expectStatus, PURPOSE } from './support/dossier-fixtures';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * An auditor's two time axes over HTTP: what the system knew at a moment (asOf, recorded time)
 * and how the dossier stood on a day (validOn, business date, late entries included); and what
 * changed between two versions.
 */
describe('auditor time travel over HTTP', () => {
  let testApp: TestApp;
  let staff: DossierApi;
  let auditor: DossierApi;
  let dossierId: string;
  let recordedAt: string[];

  beforeAll(async () => {
    testApp = await startTestApp();
    staff = new DossierApi(testApp, await testApp.token('staff', 'alice'));
    auditor = staff.as(await testApp.token('auditor', 'audrey'));
    dossierId = await staff.registered({ registeredOn: '2022-03-24' }); // v1
    await staff.recorded(dossierId, 'housed', { housingType: 'host-family', municipality: '11002', on: '2022-04-01' }); // v2
    await staff.recorded(dossierId, 'rehoused', { housingType: 'social-rental', municipality: '12025', on: '2023-02-01', reason: 'host-placement-ended' }); // v3
    // Recorded last, happened first: a VDAB registration entered late.
    await staff.recorded(dossierId, 'vdab-registered', { on: '2022-09-15' }); // v4
    await staff.recorded(dossierId, 'status-changed', { on: '2023-06-01', status: 'single-permit' }); // v5
    const history = await auditor.history(dossierId);
    recordedAt = (history.body.events as Array<{ recordedAt: string }>).map((e) => e.recordedAt);
  });
  afterAll(() => testApp.close());

  const at = (query: string) => testApp.http().get(`/dossiers/${dossierId}?${query}`).set('Authorization', `Bearer ${auditor.token}`).set('X-Purpose', PURPOSE);

  it('asOf: the dossier as the system knew it at a recorded moment', async () => {
    const afterHousing = await at(`asOf=${encodeURIComponent(recordedAt[1])}`);
    expectStatus(afterHousing, 200);
    expect(afterHousing.body).toMatchObject({
      dossierId,
      version: 2,
      asOf: recordedAt[1],
      housing: { type: 'host-family', municipality: '11002', since: '2022-04-01' },
      vdab: null,
    });
    const beforeTheLateEntry = await at(`asOf=${encodeURIComponent(recordedAt[2])}`);
    expect(beforeTheLateEntry.body).toMatchObject({ version: 3, housing: { type: 'social-rental' }, vdab: null });
  });

  it('both axes know the residence status: under temporary protection until the change, recorded and happened', async () => {
    const beforeRecorded = await at(`asOf=${encodeURIComponent(recordedAt[3])}`);
    expect(beforeRecorded.body).toMatchObject({ version: 4, residenceStatus: { status: 'temporary-protection' } });
    expect((await at(`asOf=${encodeURIComponent(recordedAt[4])}`)).body).toMatchObject({
      version: 5,
      residenceStatus: { status: 'single-permit', since: '2023-06-01' },
    });
    expect((await at('validOn=2023-05-31')).body.residenceStatus.status).toBe('temporary-protection');
    expect((await at('validOn=2023-06-01')).body.residenceStatus).toEqual({ status: 'single-permit', since: '2023-06-01' });
    const diff = await testApp.http().get(`/dossiers/${dossierId}/diff?from=4&to=5`).set('Authorization', `Bearer ${auditor.token}`).set('X-Purpose', PURPOSE);
    expectStatus(diff, 200);
    expect(diff.body.changes).toEqual(expect.arrayContaining([{ path: 'residenceStatus.status', from: 'temporary-protection', to: 'single-permit' }]));
    expect(diff.body.events.map((e: { version: number; type: string }) => [e.version, e.type])).toEqual([[5, 'ResidenceStatusChanged']]);
  });

  it('asOf before the registration was recorded: 404, the dossier did not exist yet', async () => {
    expectProblem(await at('asOf=2020-01-01T00:00:00Z'), 404, 'dossier-not-found');
  });

  it('validOn: the dossier on a business day, late entries included', async () => {
    const autumn2022 = await at('validOn=2022-10-01');
    expectStatus(autumn2022, 200);
    expect(autumn2022.body).toMatchObject({
      validOn: '2022-10-01',
      housing: { type: 'host-family', since: '2022-04-01' },
      vdab: { registeredOn: '2022-09-15' },
    });
    expect((await at('validOn=2022-09-14')).body.vdab).toBeNull();
    expect((await at('validOn=2023-02-01')).body.housing).toMatchObject({ type: 'social-rental', since: '2023-02-01' });
    expectProblem(await at('validOn=2022-03-23'), 404, 'dossier-not-found');
  });

  it('both axes: what had happened by a day, as known at a moment', async () => {
    const knownBeforeLateEntry = await at(`validOn=2022-10-01&asOf=${encodeURIComponent(recordedAt[2])}`);
    expect(knownBeforeLateEntry.body).toMatchObject({ housing: { type: 'host-family' }, vdab: null });
  });

  it('refuses malformed points in time and unknown parameters with 400', async () => {
    expectProblem(await at('asOf=yesterday'), 400, 'validation-failed');
    expectProblem(await at('validOn=2022-02-30'), 400, 'validation-failed');
    expectProblem(await at('when=now'), 400, 'validation-failed');
  });

  it('a malformed asOf after valid ones: the same problem as ever, its body field for field', async () => {
    // The validation pipe takes a valid asOf straight to the DTO (queryShortcut) and leaves every refusal to the whole way.
    for (let i = 0; i < 2; i++) expectStatus(await at(`asOf=${encodeURIComponent(recordedAt[1])}`), 200);
    const asOf = 'asOf must be a date or an ISO 8601 date-time with Z or an offset, such as 2024-06-01T12:00:00Z, from 1900-01-01 to 2099-12-31';
    const refusals: Array<[string, Array<{ field: string; messages: string[] }>]> = [
      ['asOf=yesterday', [{ field: 'asOf', messages: [asOf] }]],
      ['asOf=2024-06-01T12:00:00', [{ field: 'asOf', messages: [asOf] }]],
      ['asOf=2024-06-01&asOf=2024-06-02', [{ field: 'asOf', messages: [asOf] }]],
      ['asOf=2024-06-01T12:00:00Z&when=now', [{ field: 'when', messages: ['property when should not exist'] }]],
    ];
    for (const [query, errors] of refusals) {
      const body = expectProblem(await at(query), 400, 'validation-failed');
      expect(body).toStrictEqual({ type: '/problems/validation-failed', title: 'Invalid request', status: 400, detail: 'One or more fields are invalid; see errors.', errors, instance: `/dossiers/${dossierId}` });
    }
  });

  it('an empty query is the dossier now, however often; a refusal after it is the same refusal, and diff without from and to is refused each time', async () => {
    // The validation pipe takes an empty query straight to the DTO's bare instance (queryShortcut).
    for (const path of [`/dossiers/${dossierId}`, `/dossiers/${dossierId}?`, `/dossiers/${dossierId}`]) {
      const now = await testApp.http().get(path).set('Authorization', `Bearer ${auditor.token}`).set('X-Purpose', PURPOSE);
      expectStatus(now, 200);
      expect(now.body).toMatchObject({ dossierId, version: 5, residenceStatus: { status: 'single-permit' } });
      expect(now.body).not.toHaveProperty('asOf');
      expect(now.headers.etag).toBeDefined();
    }
    expectProblem(await at('asOf=yesterday'), 400, 'validation-failed');
    expectProblem(await at('when=now'), 400, 'validation-failed');
    for (let i = 0; i < 2; i++) {
      const refused = expectProblem(
        await testApp.http().get(`/dossiers/${dossierId}/diff`).set('Authorization', `Bearer ${auditor.token}`).set('X-Purpose', PURPOSE),
        400,
        'validation-failed',
      );
      expect((refused.errors as Array<{ field: string }>).map((error) => error.field).sort()).toEqual(['from', 'to']);
    }
  });

  it('diff: the fields that changed between two versions and the events that changed them', async () => {
    const response = await testApp.http().get(`/dossiers/${dossierId}/diff?from=2&to=4`).set('Authorization', `Bearer ${auditor.token}`).set('X-Purpose', PURPOSE);
    expectStatus(response, 200);
    expect(response.body.changes).toEqual(
      expect.arrayContaining([
        { path: 'version', from: 2, to: 4 },
        { path: 'housing.type', from: 'host-family', to: 'social-rental' },
        { path: 'housing.municipality', from: '11002', to: '12025' },
        { path: 'housing.since', from: '2022-04-01', to: '2023-02-01' },
        { path: 'vdab', from: null, to: { registeredOn: '2022-09-15' } },
      ]),
    );
    expect(response.body.changes.map((c: { path: string }) => c.path)).not.toContain('person.givenName');
    expect(response.body.events.map((e: { version: number; type: string }) => [e.version, e.type])).toEqual([
      [3, 'PersonRehoused'],
      [4, 'VdabRegistered'],
    ]);
  });

  it('diff from 0 lists the registration itself', async () => {
    const response = await testApp.http().get(`/dossiers/${dossierId}/diff?from=0&to=1`).set('Authorization', `Bearer ${auditor.token}`).set('X-Purpose', PURPOSE);
    expectStatus(response, 200);
    expect(response.body.changes).toEqual(expect.arrayContaining([{ path: 'registeredOn', from: null, to: '2022-03-24' }]));
  });

  it('diff refuses a range outside the dossier with 400', async () => {
    for (const range of ['from=3&to=2', 'from=1&to=9', 'from=a&to=2', 'to=2']) {
      const response = await testApp.http().get(`/dossiers/${dossierId}/diff?${range}`).set('Authorization', `Bearer ${auditor.token}`).set('X-Purpose', PURPOSE);
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('is refused to analysts, who see no personal data', async () => {
    const analyst = await testApp.token('analyst');
    for (const path of [`/dossiers/${dossierId}?validOn=2022-10-01`, `/dossiers/${dossierId}/diff?from=1&to=2`]) {
      expectProblem(await testApp.http().get(path).set('Authorization', `Bearer ${analyst}`).set('X-Purpose', PURPOSE), 403, 'forbidden');
    }
  });
});
