import { todayIn } from '@app/platform';
import { addDateDuration } from '@app/domain';
import {
  DossierApi,
  expectNothingAppended,
  expectProblem,
  expectRuleViolation,
  expectStatus,
  PURPOSE,
  queryDatabase,
} from './support/dossier-fixtures';
import { eventStoreOfItsOwn, onPostgresStore, type SuiteEventStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * The archive: runs, read-only archived dossiers, the archive index and the archived copy, the
 * export. An archive run of all dossiers archives everything in the log, so the suite has an
 * event store of its own.
 */
describe(`dossier archive (${onPostgresStore() ? 'postgres' : 'eventstoredb'} store)`, () => {
  let eventStore: SuiteEventStore | undefined;
  let testApp: TestApp;
  let staff: DossierApi;
  let admin: string;
  let auditor: string;
  const ids: Record<'early' | 'late' | 'open' | 'back', string> = { early: '', late: '', open: '', back: '' };
  // The service's clock, which the retention test moves forward.
  let daysAhead = 0;
  const now = () => new Date(Date.now() + daysAhead * 86_400_000);
  const today = () => todayIn('Europe/Brussels', now());

  beforeAll(async () => {
    eventStore = await eventStoreOfItsOwn();
    testApp = await startTestApp({ ARCHIVE_RETENTION: 'P1Y', ...eventStore.env }, { clock: { now, today } });
    staff = new DossierApi(testApp, await testApp.token('staff', 'archive-staff'));
    admin = await testApp.token('admin', 'archive-admin');
    auditor = await testApp.token('auditor', 'archive-auditor');
    // Dossiers of 2009–2010: left before the cut-off of 2010-06-01, left after it, open, left and came back.
    const register = (givenName: string) =>
      staff.registered({
        person: { givenName, familyName: 'Archiefova', birthDate: '1979-04-02' },
        protection: { grantedOn: '2009-01-10', attestationNumber: null },
        registeredOn: '2009-01-15',
      });
    ids.early = await register('Early');
    // Moved to another status and stayed, then left: archived with the status the person left with.
    await staff.recorded(ids.early, 'status-changed', { on: '2009-06-01', status: 'single-permit' });
    await staff.recorded(ids.early, 'left', { on: '2010-03-01', reason: 'returned-to-ukraine' });
    ids.late = await register('Late');
    await staff.recorded(ids.late, 'left', { on: '2010-09-01', reason: 'moved-abroad' });
    ids.open = await register('Open');
    ids.back = await register('Back');
    await staff.recorded(ids.back, 'left', { on: '2010-05-01', reason: 'moved-abroad' });
    await staff.recorded(ids.back, 'reopened', { on: '2010-08-01', municipality: '11002' });
  });

  afterAll(async () => {
    await testApp?.close();
    await eventStore?.stop();
  });

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const startRun = (body: unknown, token = admin) => testApp.http().post('/archive/runs').set(as(token)).send(body as object);
  const archiveList = (query: Record<string, string> = {}, token = staff.token) =>
    testApp.http().get('/archive/dossiers').query(query).set(as(token));
  const archived = (id: string, headers: Record<string, string> = { 'X-Purpose': PURPOSE }, token = staff.token) =>
    testApp.http().get(`/archive/dossiers/${id}`).set({ ...as(token), ...headers });
  const exportArchive = () =>
    testApp
      .http()
      .get('/archive/export')
      .set({ ...as(admin), 'X-Purpose': 'handover to the successor system' })
      .buffer(true)
      .parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      });

  it('archives the dossiers whose person left before the cut-off, and says why it left the others alone', async () => {
    const response = await startRun({ closedBefore: '2010-06-01' });
    expectStatus(response, 201);
    expect(response.body).toMatchObject({
      criteria: { closedBefore: '2010-06-01' },
      reason: null,
      retention: 'P1Y',
      retainUntil: addDateDuration(today(), 'P1Y'),
      status: 'completed',
      resumed: false,
      archived: 1,
      skipped: 3,
      skippedBecause: { 'already-archived': 0, 'not-left': 2, 'left-after-cutoff': 1 },
      failed: 0,
      requestedBy: 'archive-admin',
      finishedAt: expect.any(String),
    });
    const run = await testApp.http().get(`/archive/runs/${response.body.runId}`).set(as(auditor));
    expectStatus(run, 200);
    expect(run.body).toEqual({ ...response.body, resumed: false });
  });

  it('makes an archived dossier read-only: every command is refused with dossier-archived and records nothing', async () => {
    for (const [command, body] of [
      ['reopened', { on: '2010-07-01', municipality: '11002' }],
      ['housed', { housingType: 'collective', municipality: '11002', on: '2010-02-01' }],
      ['status-changed', { on: '2010-02-01', status: 'student' }],
    ] as const) {
      const response = await expectNothingAppended(staff, ids.early, () => staff.command(ids.early, command, body));
      expect(expectRuleViolation(response, 'dossier-archived')).toMatchObject({ archivedOn: today() });
    }
    const dossier = await staff.get(ids.early);
    expect(dossier.body).toMatchObject({ archived: { on: today(), closedBefore: '2010-06-01', retainUntil: addDateDuration(today(), 'P1Y') } });
    const verify = await testApp.http().get(`/dossiers/${ids.early}/verify`).set(as(auditor));
    expect(verify.body).toMatchObject({ intact: true });
  });

  it('archives only what is left when the same run is asked for again', async () => {
    const response = await startRun({ closedBefore: '2010-06-01' });
    expectStatus(response, 201);
    expect(response.body).toMatchObject({ archived: 0, skippedBecause: { 'already-archived': 1, 'not-left': 2, 'left-after-cutoff': 1 } });
  });

  it('lists archived dossiers without personal data, with filters and paging', async () => {
    await waitForProjections(testApp);
    const page = await archiveList({ leftBefore: '2011-01-01' });
    expectStatus(page, 200);
    expect(page.body).toEqual({
      items: [
        {
          dossierId: ids.early,
          archivedOn: today(),
          archivedVersion: 4,
          runId: expect.any(String),
          closedBefore: '2010-06-01',
          reason: null,
          retainUntil: addDateDuration(today(), 'P1Y'),
          personalDataErasedOn: null,
          registeredOn: '2009-01-15',
          municipality: { nis: '11002', name: 'Antwerpen' },
          province: { nis: '10000', name: 'Antwerpen' },
          leftOn: '2010-03-01',
          leftReason: 'returned-to-ukraine',
        },
      ],
      total: 1,
      page: 1,
      pageSize: 25,
    });
    expect(page.text).not.toContain('Archiefova');
    expect((await archiveList({ municipality: '44021' })).body.total).toBe(0);
    expect((await archiveList({ erased: 'true' })).body.total).toBe(0);
    expectStatus(await archiveList({}, auditor), 200);
    expectProblem(await archiveList({}, await testApp.token('analyst')), 403);
    expectProblem(await archiveList({ leftBefore: '2010-13-01' }), 400, 'validation-failed');
  });

  it('shows an archived dossier as archived, with its complete history, and records who looked', async () => {
    const response = await archived(ids.early, { 'X-Purpose': 'retention review' }, auditor);
    expectStatus(response, 200);
    expect(response.body).toMatchObject({
      dossierId: ids.early,
      archive: { archivedOn: today(), archivedVersion: 4, closedBefore: '2010-06-01', retainUntil: addDateDuration(today(), 'P1Y') },
      personalDataErased: null,
      dossier: {
        version: 4,
        status: 'left',
        person: { givenName: 'Early', familyName: 'Archiefova' },
        left: { on: '2010-03-01' },
        residenceStatus: { status: 'single-permit', since: '2009-06-01' },
      },
    });
    expect(response.body.history.map((event: { type: string }) => event.type)).toEqual(['DossierRegistered', 'ResidenceStatusChanged', 'PersonLeft', 'DossierArchived']);
    const log = await testApp.http().get('/audit/access-log').query({ dossierId: ids.early }).set(as(auditor));
    expect(log.body.items[0]).toMatchObject({ actor: 'archive-auditor', path: `/archive/dossiers/${ids.early}`, purpose: 'retention review' });

    expectProblem(await archived(ids.early, {}, auditor), 400, 'purpose-required');
    expectProblem(await archived(ids.open), 404, 'dossier-not-archived');
    expectProblem(await archived(ids.early, {}, admin), 403);
  });

  it('exports the archive as NDJSON, one dossier with its events per line, the same bytes twice', async () => {
    const first = await exportArchive();
    expectStatus(first, 200);
    expect(first.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const second = await exportArchive();
    expect(Buffer.compare(first.body as Buffer, second.body as Buffer)).toBe(0);
    const lines = (first.body as Buffer).toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    const dossiers = lines.map((line) => JSON.parse(line));
    expect(dossiers.map((d) => d.dossierId)).toEqual([ids.early]);
    expect(dossiers[0]).toMatchObject({ archive: { archivedVersion: 4 }, dossier: { person: { givenName: 'Early' }, residenceStatus: { status: 'single-permit' } } });
    expect(dossiers[0].history.map((event: { type: string }) => event.type)).toEqual(['DossierRegistered', 'ResidenceStatusChanged', 'PersonLeft', 'DossierArchived']);
    const log = await testApp.http().get('/audit/access-log').query({ actor: 'archive-admin' }).set(as(auditor));
    expect(log.body.items[0]).toMatchObject({ path: '/archive/export', dossierIds: [ids.early], purpose: 'handover to the successor system' });
    expectProblem(await testApp.http().get('/archive/export').set(as(staff.token)), 403);
  });

  it('refuses a run that asks for neither or both criteria, or for all without a reason, and archives nothing', async () => {
    for (const body of [{}, { all: true }, { all: true, reason: '' }, { closedBefore: '2010-06-01', all: true, reason: 'x' }, { all: false, reason: 'x' }, { closedBefore: 'soon' }]) {
      expectProblem(await startRun(body), 400, 'validation-failed');
    }
    expectProblem(await startRun({ closedBefore: '2010-06-01' }, staff.token), 403);
    await waitForProjections(testApp);
    expect((await archiveList()).body.total).toBe(1);
  });

  it('resumes a run that stopped half-way under its own id, and refuses to run the same one twice at once', async () => {
    const [stale] = await queryDatabase<{ id: string }>(
      testApp.databaseUrl,
      `INSERT INTO archive_runs (id, requested_by, started_at, closed_before, all_dossiers, reason, retention, retain_until, status, lease_until)
       VALUES (gen_random_uuid(), 'crashed-admin', now() - interval '1 hour', '2010-10-01', false, null, 'P1Y', $1, 'running', now() - interval '1 minute')
       RETURNING id::text`,
      [addDateDuration(today(), 'P1Y')],
    );
    const resumed = await startRun({ closedBefore: '2010-10-01' });
    expectStatus(resumed, 201);
    expect(resumed.body).toMatchObject({ runId: stale.id, resumed: true, status: 'completed', archived: 1, requestedBy: 'crashed-admin' });
    await queryDatabase(
      testApp.databaseUrl,
      `INSERT INTO archive_runs (id, requested_by, started_at, closed_before, all_dossiers, reason, retention, retain_until, status, lease_until)
       VALUES (gen_random_uuid(), 'busy-admin', now(), '2010-11-01', false, null, 'P1Y', $1, 'running', now() + interval '1 minute')`,
      [addDateDuration(today(), 'P1Y')],
    );
    expectProblem(await startRun({ closedBefore: '2010-11-01' }), 409, 'archive-run-in-progress');
  });

  it('archives every dossier, open or closed, when a registration tool is decommissioned', async () => {
    const response = await startRun({ all: true, reason: 'CRT decommissioned' });
    expectStatus(response, 201);
    expect(response.body).toMatchObject({ criteria: { all: true }, reason: 'CRT decommissioned', archived: 2, skippedBecause: { 'already-archived': 2 } });
    expect(response.body.skippedBecause).not.toHaveProperty('not-left');
    expectRuleViolation(await staff.command(ids.open, 'housed', { housingType: 'collective', municipality: '11002', on: '2009-02-01' }), 'dossier-archived');
    await waitForProjections(testApp);
    const page = await archiveList({ pageSize: '2' });
    expect(page.body).toMatchObject({ total: 4, pageSize: 2 });
    expect(page.body.items).toHaveLength(2);
    const runs = await testApp.http().get('/archive/runs').set(as(admin));
    expect(runs.body.items[0]).toMatchObject({ criteria: { all: true }, status: 'completed' });
  });

  it('erases the personal data of archived dossiers once their retention has passed, and keeps the rest of them', async () => {
    const purge = () => testApp.http().post('/archive/purge').set(as(admin));
    const early = await purge();
    expectStatus(early, 200);
    expect(early.body).toEqual({ today: today(), erased: 0, alreadyErased: 0, failed: 0, failures: [] });

    const archivedOn = today();
    daysAhead = 400;
    const due = await purge();
    expectStatus(due, 200);
    expect(due.body).toMatchObject({ today: today(), erased: 4, alreadyErased: 0, failed: 0 });
    await waitForProjections(testApp);
    expect((await archiveList({ erased: 'true' })).body.total).toBe(4);

    const response = await archived(ids.early);
    expect(response.body).toMatchObject({
      archive: { archivedOn, retainUntil: addDateDuration(archivedOn, 'P1Y') },
      personalDataErased: { on: today(), reason: `Archive retention ended on ${addDateDuration(archivedOn, 'P1Y')}` },
      dossier: { person: { givenName: '[erased]', familyName: '[erased]', birthDate: '[erased]' }, left: { on: '2010-03-01' } },
    });
    expect(response.body.history.map((event: { type: string }) => event.type)).toEqual([
      'DossierRegistered',
      'ResidenceStatusChanged',
      'PersonLeft',
      'DossierArchived',
      'PersonalDataErased',
    ]);
    expect(response.body.history[0].data.personal).toEqual({
      givenName: '[erased]',
      familyName: '[erased]',
      birthDate: '[erased]',
      nationalRegisterNumber: '[erased]',
      attestationNumber: '[erased]',
    });
    const exported = (await exportArchive()).body as Buffer;
    expect(exported.toString('utf8')).not.toContain('Archiefova');
    expect((await testApp.http().get(`/dossiers/${ids.early}/verify`).set(as(auditor))).body).toMatchObject({ intact: true });

    expect((await purge()).body).toMatchObject({ erased: 0, failed: 0 });
    expectProblem(await testApp.http().post('/archive/purge').set(as(staff.token)).send({}), 403);
    expectProblem(await testApp.http().post('/archive/purge').set(as(admin)).send({ reason: '' }), 400, 'validation-failed');
  });
});
