import { randomBytes } from 'node:crypto';
import {
  DossierApi,
  expectProblem,
  expectStatus,
  formatNationalRegisterNumber,
  freshNationalRegisterNumber,
  PURPOSE,
} from './support/dossier-fixtures';
import { eventStoreUnderTest } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';

interface Item {
  dossierId: string;
  version: number;
  person: { givenName: string; familyName: string; birthDate: string; nationalRegisterNumber: string | null };
  municipality: { nis: string; name: string };
  province: { nis: string; name: string } | null;
  registeredOn: string;
  stage: string;
  active: boolean;
  housing: { type: string; municipality: string; since: string } | null;
  lastRecordedAt: string;
  [field: string]: unknown;
}

interface Page {
  items: Item[];
  total: number;
  totalExact: boolean;
  page: number;
  pageSize: number;
}

/** Veurne: a municipality no other suite registers in, so its summary moves only with this one. */
const SUMMARY_NIS = '38025';

/**
 * The CRT registry over HTTP. On EventStoreDB the log is shared by every suite of the run, so
 * the registry holds their dossiers too: lists are narrowed to this run's dossiers by a tag in
 * their family names, and the municipality summary is compared before and after.
 */
describe(`CRT registry over HTTP (${eventStoreUnderTest()} store)`, () => {
  let testApp: TestApp;
  let staff: DossierApi;
  let auditor: string;
  // Letters only, so it is one word of q and never matches a national register number.
  const tag = `reg${randomBytes(4).toString('hex').replace(/\d/g, (digit) => 'ghijklmnop'[Number(digit)])}`;
  const ids: Record<string, string> = {};
  const numbers: Record<string, string> = {};
  let summaryBefore: Record<string, unknown>;

  const familyName = (name: string) => `${name}-${tag}`;

  async function register(name: string, givenName: string, municipality: string, registeredOn: string): Promise<string> {
    const { birthDate, nationalRegisterNumber } = freshNationalRegisterNumber();
    const response = await staff.register({
      person: { givenName, familyName: familyName(name), birthDate, sex: 'female', nationality: 'UKR', nationalRegisterNumber },
      protection: { grantedOn: '2022-03-21' },
      municipality,
      registeredOn,
    });
    expectStatus(response, 201);
    ids[name] = response.body.dossierId;
    numbers[name] = nationalRegisterNumber;
    return ids[name];
  }

  const get = (path: string, token = staff.token) =>
    testApp.http().get(path).set('Authorization', `Bearer ${token}`).set('X-Purpose', PURPOSE);

  async function list(query: Record<string, string | number>): Promise<Page> {
    const parameters = new URLSearchParams(Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]));
    const response = await get(`/dossiers?${parameters}`);
    expectStatus(response, 200);
    return response.body as Page;
  }

  /** This run's dossiers matching the query, as family names without the tag. */
  const names = async (query: Record<string, string | number> = {}) =>
    (await list({ q: tag, pageSize: 200, sort: 'familyName', ...query })).items.map((item) => item.person.familyName.split('-')[0]);

  beforeAll(async () => {
    testApp = await startTestApp();
    staff = new DossierApi(testApp, await testApp.token('staff', 'alice'));
    auditor = await testApp.token('auditor', 'audrey');
    await waitForProjections(testApp, 60_000);
    summaryBefore = (await get(`/municipalities/${SUMMARY_NIS}/summary`)).body;

    const bondarenko = await register('Bondarenko', 'Iryna', '11002', '2022-03-24');
    await staff.recorded(bondarenko, 'housed', { housingType: 'collective', municipality: '11002', on: '2022-03-25' });

    const hrytsenko = await register('Hrytsenko', 'Oksana', '44021', '2022-04-05');
    await staff.recorded(hrytsenko, 'housed', { housingType: 'host-family', municipality: '44021', on: '2022-04-06' });
    await staff.recorded(hrytsenko, 'inburgering-enrolled', { trajectory: 'voortraject', on: '2022-09-01' });

    const kovalenko = await register('Kovalenko', 'Olena', SUMMARY_NIS, '2022-05-20');
    await staff.recorded(kovalenko, 'housed', { housingType: 'social-rental', municipality: SUMMARY_NIS, on: '2022-06-01' });
    await staff.recorded(kovalenko, 'vdab-registered', { on: '2022-10-03' });

    const melnyk = await register('Melnyk', 'Natalia', SUMMARY_NIS, '2022-06-15');
    await staff.recorded(melnyk, 'housed', { housingType: 'private-rental', municipality: '38014', on: '2022-06-20' });
    await staff.recorded(melnyk, 'inburgering-enrolled', { trajectory: 'voortraject', on: '2022-07-01' });
    await staff.recorded(melnyk, 'vdab-registered', { on: '2022-08-01' });
    await staff.recorded(melnyk, 'employment-started', { on: '2022-11-14' });
    await staff.recorded(melnyk, 'status-changed', { on: '2023-01-10', status: 'single-permit' });

    const petrenko = await register('Petrenko', 'Yulia', SUMMARY_NIS, '2022-07-01');
    await staff.recorded(petrenko, 'status-changed', { on: '2022-12-01', status: 'student' });
    await staff.recorded(petrenko, 'left', { on: '2023-01-15', reason: 'returned-to-ukraine' });

    await register('Shevchenko', 'Daria', '21004', '2022-08-01');

    // Registered on the same day as Bondarenko: the tiebreak decides their order.
    const tkachenko = await register('Tkachenko', 'Anna', '24062', '2022-03-24');
    await staff.recorded(tkachenko, 'housed', { housingType: 'host-family', municipality: '24062', on: '2022-03-30' });
    await staff.recorded(tkachenko, 'left', { on: '2022-10-01', reason: 'moved-within-belgium' });
    await staff.recorded(tkachenko, 'reopened', { on: '2023-02-01', municipality: SUMMARY_NIS, residenceStatus: 'family-reunification' });

    await waitForProjections(testApp);
  }, 120_000);

  afterAll(() => testApp?.close());

  it('lists one row per dossier with its current stage, place, housing, flags and dates', async () => {
    const page = await list({ q: tag, sort: 'familyName' });
    expect(page).toMatchObject({ total: 7, totalExact: true, page: 1, pageSize: 25 });
    expect(page.items.map((item) => [item.person.familyName.split('-')[0], item.stage, item.active])).toEqual([
      ['Bondarenko', 'housed', true],
      ['Hrytsenko', 'inburgering', true],
      ['Kovalenko', 'vdab', true],
      ['Melnyk', 'employed', true],
      ['Petrenko', 'left', false],
      ['Shevchenko', 'registered', true],
      ['Tkachenko', 'registered', true],
    ]);
    const melnyk = page.items.find((item) => item.dossierId === ids.Melnyk);
    expect(melnyk).toEqual({
      dossierId: ids.Melnyk,
      version: 6,
      person: {
        givenName: 'Natalia',
        familyName: familyName('Melnyk'),
        birthDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        nationalRegisterNumber: numbers.Melnyk,
      },
      municipality: { nis: SUMMARY_NIS, name: 'Veurne' },
      province: { nis: '30000', name: 'West-Vlaanderen' },
      registeredOn: '2022-06-15',
      stage: 'employed',
      active: true,
      residenceStatus: { status: 'single-permit', since: '2023-01-10' },
      housing: { type: 'private-rental', municipality: '38014', since: '2022-06-20' },
      flags: { inburgering: true, vdab: true, everEmployed: true, employedNow: true, left: false },
      dates: { inburgeringSince: '2022-07-01', vdabRegisteredOn: '2022-08-01', employmentSince: '2022-11-14', leftOn: null },
      leftReason: null,
      archivedOn: null,
      personalDataErasedOn: null,
      lastRecordedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    const petrenko = page.items.find((item) => item.dossierId === ids.Petrenko);
    expect(petrenko).toMatchObject({
      housing: null,
      flags: { inburgering: false, vdab: false, everEmployed: false, employedNow: false, left: true },
      dates: { leftOn: '2023-01-15' },
      leftReason: 'returned-to-ukraine',
      // The status the person left with.
      residenceStatus: { status: 'student', since: '2022-12-01' },
    });
    const shevchenko = page.items.find((item) => item.dossierId === ids.Shevchenko);
    expect(shevchenko).toMatchObject({ municipality: { nis: '21004', name: 'Brussel' }, province: null, residenceStatus: { status: 'temporary-protection', since: '2022-03-21' } });
    // Reopened elsewhere: registered where the person came back to, housing gone with the departure.
    const tkachenko = page.items.find((item) => item.dossierId === ids.Tkachenko);
    expect(tkachenko).toMatchObject({
      municipality: { nis: SUMMARY_NIS },
      housing: null,
      version: 5,
      flags: { left: false },
      residenceStatus: { status: 'family-reunification', since: '2023-02-01' },
    });
  });

  it('agrees with the dossier itself once the projection has caught up', async () => {
    const version = await staff.recorded(ids.Kovalenko, 'employment-started', { on: '2023-03-01' });
    await waitForProjections(testApp);
    const dossier = await staff.get(ids.Kovalenko);
    expect(dossier.headers.etag).toBe(`"${version}"`);
    const [item] = (await list({ q: `${tag} kovalenko` })).items;
    expect(item).toMatchObject({ version, stage: 'employed', flags: { employedNow: true, everEmployed: true } });
    await staff.recorded(ids.Kovalenko, 'employment-ended', { on: '2023-04-30' });
    await waitForProjections(testApp);
    expect((await list({ q: `${tag} kovalenko` })).items[0]).toMatchObject({
      version: version + 1,
      stage: 'vdab',
      flags: { employedNow: false, everEmployed: true },
      dates: { employmentSince: null },
    });
  });

  it('filters by status, municipality, province, housing type, stage, residence status and registration dates', async () => {
    expect(await names({ status: 'left' })).toEqual(['Petrenko']);
    expect(await names({ status: 'active' })).toEqual(['Bondarenko', 'Hrytsenko', 'Kovalenko', 'Melnyk', 'Shevchenko', 'Tkachenko']);
    expect(await names({ municipality: SUMMARY_NIS })).toEqual(['Kovalenko', 'Melnyk', 'Petrenko', 'Tkachenko']);
    expect(await names({ province: '10000' })).toEqual(['Bondarenko']);
    expect(await names({ province: '30000', status: 'active' })).toEqual(['Kovalenko', 'Melnyk', 'Tkachenko']);
    expect(await names({ housingType: 'host-family' })).toEqual(['Hrytsenko']);
    expect(await names({ stage: 'registered' })).toEqual(['Shevchenko', 'Tkachenko']);
    expect(await names({ stage: 'employed' })).toEqual(['Melnyk']);
    expect(await names({ residenceStatus: 'temporary-protection' })).toEqual(['Bondarenko', 'Hrytsenko', 'Kovalenko', 'Shevchenko']);
    expect(await names({ residenceStatus: 'single-permit' })).toEqual(['Melnyk']);
    // The total too, counted for this filter and not taken from the same search without it.
    expect((await list({ q: tag })).total).toBe(7);
    expect((await list({ q: tag, residenceStatus: 'single-permit' })).total).toBe(1);
    expect(await names({ residenceStatus: 'student' })).toEqual(['Petrenko']);
    expect(await names({ residenceStatus: 'student', status: 'active' })).toEqual([]);
    expect(await names({ residenceStatus: 'family-reunification', municipality: SUMMARY_NIS })).toEqual(['Tkachenko']);
    expect(await names({ registeredFrom: '2022-05-20', registeredTo: '2022-07-01' })).toEqual(['Kovalenko', 'Melnyk', 'Petrenko']);
    expect(await names({ registeredTo: '2022-03-24' })).toEqual(['Bondarenko', 'Tkachenko']);
    expect(await names({ registeredFrom: '2022-08-02' })).toEqual([]);
  });

  it('searches names and national register numbers with q, in any case and word order', async () => {
    expect(await names({ q: `${tag.toUpperCase()} OLENA` })).toEqual(['Kovalenko']);
    expect(await names({ q: `kovalenko-${tag} olena` })).toEqual(['Kovalenko']);
    expect(await names({ q: `olena kovalenko-${tag}` })).toEqual(['Kovalenko']);
    expect(await names({ q: numbers.Melnyk })).toEqual(['Melnyk']);
    expect(await names({ q: formatNationalRegisterNumber(numbers.Melnyk) })).toEqual(['Melnyk']);
    expect(await names({ q: `${tag} nobody` })).toEqual([]);
    // LIKE wildcards are searched for literally.
    expect(await names({ q: `${tag} %` })).toEqual([]);
    expect(await names({ q: `${tag} _` })).toEqual([]);
  });

  it('sorts by each key in both directions, ties broken by dossier id', async () => {
    const byRegistration = (await list({ q: tag, sort: 'registeredOn' })).items;
    expect(byRegistration.map((item) => item.registeredOn)).toEqual([...byRegistration.map((item) => item.registeredOn)].sort());
    const tied = [ids.Bondarenko, ids.Tkachenko].sort();
    expect(byRegistration.slice(0, 2).map((item) => item.dossierId)).toEqual(tied);
    const descending = (await list({ q: tag, sort: '-registeredOn' })).items;
    expect(descending.map((item) => item.dossierId)).toEqual(byRegistration.map((item) => item.dossierId).reverse());
    expect((await list({ q: tag })).items).toEqual(descending);

    expect(await names({ sort: '-familyName' })).toEqual(['Tkachenko', 'Shevchenko', 'Petrenko', 'Melnyk', 'Kovalenko', 'Hrytsenko', 'Bondarenko']);
    const places = (await list({ q: tag, sort: 'municipality' })).items.map((item) => item.municipality.name);
    expect(places).toEqual(['Antwerpen', 'Brussel', 'Gent', 'Veurne', 'Veurne', 'Veurne', 'Veurne']);
    const recorded = (await list({ q: tag, sort: '-lastRecordedAt' })).items;
    expect(recorded.map((item) => item.lastRecordedAt)).toEqual(recorded.map((item) => item.lastRecordedAt).sort().reverse());
  });

  it('pages stably: consecutive pages make up the sorted list, without repeats, with the total on each', async () => {
    for (const sort of ['registeredOn', '-registeredOn', 'municipality', '-municipality', 'familyName']) {
      const all = (await list({ q: tag, sort, pageSize: 200 })).items.map((item) => item.dossierId);
      const pages = await Promise.all([1, 2, 3].map((page) => list({ q: tag, sort, pageSize: 3, page })));
      expect(pages.map((page) => [page.page, page.pageSize, page.total])).toEqual([
        [1, 3, 7],
        [2, 3, 7],
        [3, 3, 7],
      ]);
      const paged = pages.flatMap((page) => page.items.map((item) => item.dossierId));
      expect(paged).toEqual(all);
      expect(new Set(paged).size).toBe(7);
    }
    expect(await list({ q: tag, pageSize: 3, page: 4 })).toEqual({ items: [], total: 7, totalExact: true, page: 4, pageSize: 3 });
  });

  it('answers with defaults without any query: first page of 25, latest registrations first', async () => {
    const page = await list({});
    expect(page).toMatchObject({ page: 1, pageSize: 25 });
    expect(page.total).toBeGreaterThanOrEqual(7);
    expect(page.items.length).toBe(Math.min(25, page.total));
    const dates = page.items.map((item) => item.registeredOn);
    expect(dates).toEqual([...dates].sort().reverse());
  });

  it('refuses an invalid query with 400 naming each field', async () => {
    const fieldsOf = async (query: string) => {
      const body = expectProblem(await get(`/dossiers?${query}`), 400, 'validation-failed');
      return (body.errors as Array<{ field: string }>).map((error) => error.field).sort();
    };
    expect(await fieldsOf('pageSize=1000')).toEqual(['pageSize']);
    expect(await fieldsOf('sort=name&page=0')).toEqual(['page', 'sort']);
    expect(await fieldsOf('status=archived&stage=asylum&housingType=tent')).toEqual(['housingType', 'stage', 'status']);
    expect(await fieldsOf('municipality=1100&province=Antwerpen')).toEqual(['municipality', 'province']);
    expect(await fieldsOf('registeredFrom=2022-02-30&registeredTo=yesterday')).toEqual(['registeredFrom', 'registeredTo']);
    expect(await fieldsOf('page=1.5&pageSize=ten')).toEqual(['page', 'pageSize']);
    expect(await fieldsOf('q=')).toEqual(['q']);
    expect(await fieldsOf('nationality=UKR')).toEqual(['nationality']);
    expect(await fieldsOf('residenceStatus=tourist')).toEqual(['residenceStatus']);
  });

  it('is for staff, admin and auditors: analysts get 403, anonymous callers 401', async () => {
    const analyst = await testApp.token('analyst', 'ana');
    expectProblem(await get('/dossiers', analyst), 403, 'forbidden');
    expectProblem(await get(`/municipalities/${SUMMARY_NIS}/summary`, analyst), 403, 'forbidden');
    expectProblem(await testApp.http().get('/dossiers'), 401);
    expectStatus(await get(`/dossiers?q=${tag}`, auditor), 200);
    expectStatus(await get(`/municipalities/${SUMMARY_NIS}/summary`, auditor), 200);
    expectStatus(await get(`/dossiers?q=${tag}`, await testApp.token('admin')), 200);
  });

  it('leaves GET /dossiers/{id} and its history to the dossier itself', async () => {
    const dossier = await staff.get(ids.Tkachenko);
    expectStatus(dossier, 200);
    expect(dossier.body).toMatchObject({ dossierId: ids.Tkachenko, municipality: SUMMARY_NIS, status: 'active' });
    expectStatus(await staff.history(ids.Tkachenko), 200);
  });

  it('counts the dossiers registered in a municipality per stage', async () => {
    const response = await get(`/municipalities/${SUMMARY_NIS}/summary`);
    expectStatus(response, 200);
    const summary = response.body;
    expect(summary).toMatchObject({ nis: SUMMARY_NIS, name: 'Veurne', province: { nis: '30000', name: 'West-Vlaanderen' } });
    const before = summaryBefore as { total: number; active: number; byStage: Record<string, number> };
    const added = (field: string) => summary.byStage[field] - before.byStage[field];
    expect({
      total: summary.total - before.total,
      active: summary.active - before.active,
      byStage: Object.fromEntries(Object.keys(summary.byStage).map((stage) => [stage, added(stage)])),
    }).toEqual({
      total: 4,
      active: 3,
      byStage: { registered: 1, housed: 0, inburgering: 0, vdab: 1, employed: 1, left: 1 },
    });
    expect(Object.values(summary.byStage as Record<string, number>).reduce((sum, n) => sum + n, 0)).toBe(summary.total);
  });

  it('gives a list filtered by status, municipality and stage the total of the dossiers it lists, as the summary counts them', async () => {
    const summary = (await get(`/municipalities/${SUMMARY_NIS}/summary`)).body as { total: number; active: number; byStage: Record<string, number> };
    const everything = await list({ municipality: SUMMARY_NIS, pageSize: 200 });
    expect(everything).toMatchObject({ total: summary.total, totalExact: true });
    expect(everything.items).toHaveLength(summary.total);
    expect(await list({ municipality: SUMMARY_NIS, status: 'active', pageSize: 200 })).toMatchObject({ total: summary.active, totalExact: true });
    for (const [stage, count] of Object.entries(summary.byStage)) {
      const page = await list({ municipality: SUMMARY_NIS, stage, pageSize: 200 });
      expect({ stage, total: page.total, listed: page.items.length }).toEqual({ stage, total: count, listed: count });
    }
  });

  it('summarises Brussels without a province and a merged municipality under its old code', async () => {
    const brussels = await get('/municipalities/21004/summary');
    expectStatus(brussels, 200);
    expect(brussels.body).toMatchObject({ nis: '21004', name: 'Brussel', province: null });
    expect(brussels.body.byStage.registered).toBeGreaterThanOrEqual(1);
    const borsbeek = await get('/municipalities/11007/summary');
    expectStatus(borsbeek, 200);
    expect(borsbeek.body).toMatchObject({ nis: '11007', name: 'Borsbeek', province: { nis: '10000', name: 'Antwerpen' } });
  });

  it('counts a filter again once the registry moves: a total kept for the next pages never goes stale', async () => {
    const filter = { q: `${tag} Zhuk`, pageSize: 1 };
    expect((await list(filter)).total).toBe(0);
    await register('Zhuk', 'Alina', '11002', '2022-09-01');
    await waitForProjections(testApp);
    expect(await list(filter)).toMatchObject({ total: 1, items: [expect.objectContaining({ dossierId: ids.Zhuk })] });
    await register('Zhuk', 'Sofiia', '11002', '2022-09-02');
    await waitForProjections(testApp);
    expect((await list({ ...filter, page: 2 })).total).toBe(2);
  });

  it('answers 404 for a code that names no municipality of Flanders or Brussels', async () => {
    for (const nis of ['99999', '10000', '62063', 'abc']) {
      expectProblem(await get(`/municipalities/${nis}/summary`), 404, 'municipality-not-found');
    }
  });
});
