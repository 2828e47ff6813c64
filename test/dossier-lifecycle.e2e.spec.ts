import type { Response } from 'supertest';
import { DossierApi, expectStatus, newCorrelationId, registrationBody } from './support/dossier-fixtures';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * One person's whole path over HTTP: registration, housing and rehousing, inburgering, VDAB, a
 * job that starts and ends, departure, two reopenings (with and without a municipality) and new
 * housing, two moves to other residence statuses, a departure and a reopening with a status.
 * After each step the dossier view and its ETag; at the end the full history with its metadata.
 */
describe('dossier lifecycle over HTTP', () => {
  let testApp: TestApp;
  let api: DossierApi;
  let dossierId: string;
  const startedAt = new Date();
  /** [correlation id sent, version reached] per step, checked against the history at the end. */
  const steps: Array<{ correlationId: string; version: number }> = [];

  beforeAll(async () => {
    testApp = await startTestApp();
    api = new DossierApi(testApp, await testApp.token('staff', 'alice'));
  });
  afterAll(() => testApp.close());

  async function step(command: Parameters<DossierApi['command']>[1], body: Record<string, unknown>, expectedVersion: number) {
    const correlationId = newCorrelationId();
    const response = await api.command(dossierId, command, body, { 'X-Correlation-Id': correlationId });
    expectStatus(response, 201);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual({ dossierId, version: expectedVersion });
    expect(response.headers.etag).toBe(`"${expectedVersion}"`);
    expect(response.headers['x-correlation-id']).toBe(correlationId);
    steps.push({ correlationId, version: expectedVersion });
  }

  async function dossier(expectedVersion: number): Promise<Record<string, unknown>> {
    const response: Response = await api.get(dossierId);
    expectStatus(response, 200);
    expect(response.headers.etag).toBe(`"${expectedVersion}"`);
    expect(response.body.version).toBe(expectedVersion);
    expect(response.body.dossierId).toBe(dossierId);
    return response.body;
  }

  it('registers: 201, Location, ETag "1", { dossierId, version }', async () => {
    const correlationId = newCorrelationId();
    const nationalRegisterNumber = '85073003328';
    const response = await api.register(
      registrationBody({ person: { nationalRegisterNumber: '85.07.30-033.28' } }),
      { 'X-Correlation-Id': correlationId },
    );
    expectStatus(response, 201);
    expect(response.body).toEqual({ dossierId: expect.stringMatching(/^[0-9a-f-]{36}$/), version: 1 });
    dossierId = response.body.dossierId;
    expect(response.headers.location).toBe(`/dossiers/${dossierId}`);
    expect(response.headers.etag).toBe('"1"');
    expect(response.headers['x-correlation-id']).toBe(correlationId);
    steps.push({ correlationId, version: 1 });

    const read = await testApp.http().get(response.headers.location).set('Authorization', `Bearer ${api.token}`);
    expectStatus(read, 200);
    expect(read.headers.etag).toBe('"1"');
    expect(read.body).toEqual({
      dossierId,
      version: 1,
      active: true,
      status: 'active',
      person: {
        givenName: 'Olena',
        familyName: 'Kovalenko',
        birthDate: '1985-07-30',
        sex: 'female',
        nationality: 'UKR',
        nationalRegisterNumber,
      },
      protection: { attestationNumber: 'TB-2022-0012345', grantedOn: '2022-03-21' },
      municipality: '11002',
      householdId: 'household-42',
      registeredOn: '2022-03-24',
      housing: null,
      inburgering: null,
      vdab: null,
      employment: null,
      everEmployed: false,
      left: null,
      residenceStatus: { status: 'temporary-protection', since: '2022-03-21' },
      archived: null,
      personalDataErased: null,
    });
  });

  it('houses the person', async () => {
    await step('housed', { housingType: 'collective', municipality: '11002', on: '2022-04-02' }, 2);
    const view = await dossier(2);
    expect(view.housing).toEqual({ type: 'collective', municipality: '11002', since: '2022-04-02' });
    expect(view.active).toBe(true);
  });

  it('rehouses the person with a reason, replacing the housing', async () => {
    await step('rehoused', { housingType: 'host-family', municipality: '11007', on: '2022-09-01', reason: 'site-closed' }, 3);
    const view = await dossier(3);
    expect(view.housing).toEqual({ type: 'host-family', municipality: '11007', since: '2022-09-01' });
    expect(view.municipality).toBe('11002'); // housing elsewhere does not move the registration
  });

  it('enrols in the voortraject, then moves on to the inburgeringstraject', async () => {
    await step('inburgering-enrolled', { trajectory: 'voortraject', on: '2023-01-10' }, 4);
    expect((await dossier(4)).inburgering).toEqual({ trajectory: 'voortraject', enrolledOn: '2023-01-10' });
    await step('inburgering-enrolled', { trajectory: 'inburgeringstraject', on: '2024-02-01' }, 5);
    expect((await dossier(5)).inburgering).toEqual({ trajectory: 'inburgeringstraject', enrolledOn: '2024-02-01' });
  });

  it('registers at VDAB', async () => {
    await step('vdab-registered', { on: '2024-03-01' }, 6);
    expect((await dossier(6)).vdab).toEqual({ registeredOn: '2024-03-01' });
  });

  it('starts a job: employed now and ever employed', async () => {
    await step('employment-started', { on: '2024-05-01' }, 7);
    const view = await dossier(7);
    expect(view.employment).toEqual({ since: '2024-05-01' });
    expect(view.everEmployed).toBe(true);
  });

  it('ends the job: no current employment, still ever employed', async () => {
    await step('employment-ended', { on: '2024-11-30' }, 8);
    const view = await dossier(8);
    expect(view.employment).toBeNull();
    expect(view.everEmployed).toBe(true);
  });

  it('records the departure: inactive, housing dropped, reason kept', async () => {
    await step('left', { on: '2025-01-10', reason: 'returned-to-ukraine' }, 9);
    const view = await dossier(9);
    expect(view).toMatchObject({
      active: false,
      status: 'left',
      left: { on: '2025-01-10', reason: 'returned-to-ukraine' },
      housing: null,
      employment: null,
      everEmployed: true,
    });
  });

  it('reopens without a municipality: keeps the dossier municipality', async () => {
    await step('reopened', { on: '2025-03-01' }, 10);
    const view = await dossier(10);
    expect(view).toMatchObject({ active: true, status: 'active', left: null, municipality: '11002', housing: null });
    expect(view.residenceStatus).toEqual({ status: 'temporary-protection', since: '2025-03-01' });
    // What happened before the departure stays part of the dossier.
    expect(view.vdab).toEqual({ registeredOn: '2024-03-01' });
    expect(view.everEmployed).toBe(true);
  });

  it('leaves again and reopens in another municipality (Pajottegem, valid from 2025)', async () => {
    await step('left', { on: '2025-03-15', reason: 'moved-abroad' }, 11);
    expect((await dossier(11)).left).toEqual({ on: '2025-03-15', reason: 'moved-abroad' });
    await step('reopened', { on: '2025-04-01', municipality: '23106' }, 12);
    const view = await dossier(12);
    expect(view).toMatchObject({ active: true, left: null, municipality: '23106' });
  });

  it('is housed again after reopening', async () => {
    await step('housed', { housingType: 'social-rental', municipality: '23106', on: '2025-04-02' }, 13);
    const view = await dossier(13);
    expect(view.housing).toEqual({ type: 'social-rental', municipality: '23106', since: '2025-04-02' });
    expect(view.active).toBe(true);
  });

  it('moves to another residence status and stays: still active, housing kept; then to a further status', async () => {
    await step('status-changed', { on: '2025-04-15', status: 'single-permit' }, 14);
    const view = await dossier(14);
    expect(view).toMatchObject({
      active: true,
      status: 'active',
      residenceStatus: { status: 'single-permit', since: '2025-04-15' },
      housing: { type: 'social-rental', municipality: '23106', since: '2025-04-02' },
    });
    await step('status-changed', { on: '2025-06-01', status: 'international-protection-applied' }, 15);
    expect((await dossier(15)).residenceStatus).toEqual({ status: 'international-protection-applied', since: '2025-06-01' });
  });

  it('keeps the status the person left with, and reopens with the status the reopening names', async () => {
    await step('left', { on: '2025-07-01', reason: 'moved-abroad' }, 16);
    expect((await dossier(16)).residenceStatus).toEqual({ status: 'international-protection-applied', since: '2025-06-01' });
    // Two events: back (under temporary protection), then the status the person came back with.
    await step('reopened', { on: '2025-08-01', municipality: '23106', residenceStatus: 'student' }, 18);
    expect(await dossier(18)).toMatchObject({ active: true, residenceStatus: { status: 'student', since: '2025-08-01' } });
    await step('housed', { housingType: 'social-rental', municipality: '23106', on: '2025-08-02' }, 19);
  });

  it('tells the whole history in order, with metadata', async () => {
    const response = await api.history(dossierId);
    expectStatus(response, 200);
    expect(response.headers.etag).toBe('"19"');
    expect(response.body.dossierId).toBe(dossierId);
    const events = response.body.events as Array<Record<string, unknown>>;
    expect(events.map((e) => [e.version, e.type, e.occurredOn])).toEqual([
      [1, 'DossierRegistered', '2022-03-24'],
      [2, 'PersonHoused', '2022-04-02'],
      [3, 'PersonRehoused', '2022-09-01'],
      [4, 'InburgeringEnrolled', '2023-01-10'],
      [5, 'InburgeringEnrolled', '2024-02-01'],
      [6, 'VdabRegistered', '2024-03-01'],
      [7, 'EmploymentStarted', '2024-05-01'],
      [8, 'EmploymentEnded', '2024-11-30'],
      [9, 'PersonLeft', '2025-01-10'],
      [10, 'DossierReopened', '2025-03-01'],
      [11, 'PersonLeft', '2025-03-15'],
      [12, 'DossierReopened', '2025-04-01'],
      [13, 'PersonHoused', '2025-04-02'],
      [14, 'ResidenceStatusChanged', '2025-04-15'],
      [15, 'ResidenceStatusChanged', '2025-06-01'],
      [16, 'PersonLeft', '2025-07-01'],
      [17, 'DossierReopened', '2025-08-01'],
      [18, 'ResidenceStatusChanged', '2025-08-01'],
      [19, 'PersonHoused', '2025-08-02'],
    ]);

    const finishedAt = new Date();
    // A step's events run from the previous step's version up to its own: a reopening with a status is two events.
    const correlationOf = (version: number) => steps.find((s) => s.version >= version)?.correlationId;
    const eventIds = new Set<unknown>();
    for (const event of events) {
      expect(event.schemaVersion).toBe(1);
      expect(event.actor).toBe('alice');
      expect(event.correlationId).toBe(correlationOf(event.version as number));
      expect(event.causationId).toEqual(expect.any(String));
      expect(event.eventId).toEqual(expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/));
      eventIds.add(event.eventId);
      const recordedAt = new Date(event.recordedAt as string);
      expect(event.recordedAt).toBe(recordedAt.toISOString());
      expect(recordedAt.getTime()).toBeGreaterThanOrEqual(startedAt.getTime() - 1000);
      expect(recordedAt.getTime()).toBeLessThanOrEqual(finishedAt.getTime() + 1000);
    }
    expect(eventIds.size).toBe(events.length);
    // Recorded in the order they were sent, business dates notwithstanding.
    const recorded = events.map((e) => e.recordedAt as string);
    expect([...recorded].sort()).toEqual(recorded);

    expect(events[0].data).toEqual({
      dossierId,
      personal: {
        givenName: 'Olena',
        familyName: 'Kovalenko',
        birthDate: '1985-07-30',
        nationalRegisterNumber: '85073003328',
        attestationNumber: 'TB-2022-0012345',
      },
      sex: 'female',
      nationality: 'UKR',
      protectionGrantedOn: '2022-03-21',
      municipality: '11002',
      householdId: 'household-42',
      registeredOn: '2022-03-24',
    });
    expect(events[1].data).toEqual({ housingType: 'collective', municipality: '11002', on: '2022-04-02' });
    expect(events[2].data).toEqual({
      housingType: 'host-family',
      municipality: '11007',
      on: '2022-09-01',
      reason: 'site-closed',
      previousHousingType: 'collective',
      previousMunicipality: '11002',
    });
    expect(events[3].data).toEqual({ trajectory: 'voortraject', on: '2023-01-10' });
    expect(events[5].data).toEqual({ on: '2024-03-01' });
    expect(events[6].data).toEqual({ on: '2024-05-01' });
    expect(events[7].data).toMatchObject({ on: '2024-11-30' });
    expect(events[8].data).toEqual({ on: '2025-01-10', reason: 'returned-to-ukraine' });
    expect(events[9].data).toEqual({ on: '2025-03-01', municipality: '11002' });
    expect(events[11].data).toEqual({ on: '2025-04-01', municipality: '23106' });
    expect(events[12].data).toEqual({ housingType: 'social-rental', municipality: '23106', on: '2025-04-02' });
    expect(events[13].data).toEqual({ on: '2025-04-15', status: 'single-permit', previousStatus: 'temporary-protection' });
    expect(events[14].data).toEqual({ on: '2025-06-01', status: 'international-protection-applied', previousStatus: 'single-permit' });
    expect(events[16].data).toEqual({ on: '2025-08-01', municipality: '23106' });
    expect(events[17].data).toEqual({ on: '2025-08-01', status: 'student', previousStatus: 'temporary-protection' });
    expect(events[17].causationId).toBe(events[16].causationId);
  });

  it('makes up a correlation id when none is sent, returns and stores it', async () => {
    const response = await api.command(dossierId, 'vdab-registered', { on: '2025-05-01' });
    expectStatus(response, 409); // already registered at VDAB: still gets a correlation id
    expect(response.headers['x-correlation-id']).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));

    const moved = await api.command(dossierId, 'rehoused', {
      housingType: 'private-rental',
      municipality: '23106',
      on: '2025-09-01',
      reason: 'other',
    });
    expectStatus(moved, 201);
    const generated = moved.headers['x-correlation-id'];
    expect(generated).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    const history = await api.history(dossierId);
    expect(history.body.events.at(-1)).toMatchObject({ version: 20, type: 'PersonRehoused', correlationId: generated });
    expect(history.body.events.at(-1).data).toMatchObject({ previousHousingType: 'social-rental', previousMunicipality: '23106' });

    // A correlation id that is not a visible-ASCII token is replaced, not stored as sent.
    const odd = await api.get(dossierId, { 'X-Correlation-Id': 'has spaces in it' });
    expectStatus(odd, 200);
    expect(odd.headers['x-correlation-id']).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
  });

  it('records the subject of each token as the actor', async () => {
    const bob = api.as(await testApp.token('admin', 'bob@agii.example'));
    const response = await bob.command(dossierId, 'employment-started', { on: '2025-09-15' });
    expectStatus(response, 201);
    const history = await api.history(dossierId);
    expect(history.body.events.map((e: { actor: string }) => e.actor).slice(-2)).toEqual(['alice', 'bob@agii.example']);
  });
});
