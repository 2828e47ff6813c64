import { DossierApi, expectProblem, expectStatus } from './support/dossier-fixtures';
import { eventStoreOfItsOwn, eventStoreUnderTest, type SuiteEventStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';

type Cell = { value: number | null; suppressed: boolean };
type Group = { nis: string | null; name: string } | null;

/**
 * Statistics across the 2025 mergers (`map`), on both stores. Threshold 0: every number shown.
 *
 * The data set (registration municipality, registered on):
 * - A1 Antwerpen 11002, 2024-01-10 (a code that never changed);
 * - H1 Hasselt 71022, 2024-03-01, housed in Gent 44021 on 2024-03-10, at VDAB from 2024-04-01;
 * - H2 Hasselt 71022, 2024-03-01: housed in Hasselt 2024-03-05, rehoused 2024-04-01, left 2024-05-01,
 *   back in Kortessem 73040 2024-06-01, rehoused there 2024-07-01;
 * - K1 Kortessem 73040, 2024-04-01; H3 Hasselt 71072 (the merged one), 2025-02-01;
 * - Z1, Z2 Zwijndrecht 11056 (province Antwerpen; from 2025 Beveren-Kruibeke-Zwijndrecht 46030, Oost-Vlaanderen), May 2024;
 *   Z1 at VDAB from 2024-06-01 (never housed);
 * - W1 Wingene 37018, 2024-06-01; W2 Wingene 37021 (merged with Ruiselede), 2025-03-01.
 */
describe(`Statistics on one map across the 2025 mergers, by registration or housing (${eventStoreUnderTest()} store)`, () => {
  let eventStore: SuiteEventStore | undefined;
  let testApp: TestApp;
  let analyst: string;

  const get = async (path: string) => {
    const response = await testApp.http().get(path).set('Authorization', `Bearer ${analyst}`);
    expectStatus(response, 200);
    return response;
  };
  const json = async (path: string) => (await get(path)).body;
  const activeBy = (groups: Array<{ group: Group; active: Cell }>) => groups.map((g) => [g.group?.nis ?? null, g.group?.name, g.active.value]);
  const namesOf = (groups: Array<{ group: Group }>) => groups.map((g) => g.group?.name);
  /** The stock of 2025-06-30 per municipality as recorded: the codes that merged and the merged ones apart, namesakes told apart. */
  const AS_RECORDED_ON_2025_06_30 = [
    ['11002', 'Antwerpen', 1],
    ['11056', 'Zwijndrecht', 2],
    ['37018', 'Wingene (37018, until 2024)', 1],
    ['37021', 'Wingene (37021, from 2025)', 1],
    ['71022', 'Hasselt (71022, until 2024)', 1],
    ['71072', 'Hasselt (71072, from 2025)', 1],
    ['73040', 'Kortessem', 2],
  ];

  beforeAll(async () => {
    eventStore = await eventStoreOfItsOwn();
    testApp = await startTestApp(eventStore.env);
    const staff = new DossierApi(testApp, await testApp.token('staff'));
    analyst = await testApp.token('analyst');
    const admin = await testApp.token('admin');
    expectStatus(await testApp.http().put('/statistics/settings').set('Authorization', `Bearer ${admin}`).send({ suppressBelow: 0 }), 200);
    const register = (municipality: string, registeredOn: string) => staff.registered({ municipality, registeredOn, protection: { grantedOn: registeredOn } });

    await register('11002', '2024-01-10');
    const h1 = await register('71022', '2024-03-01');
    await staff.recorded(h1, 'housed', { housingType: 'collective', municipality: '44021', on: '2024-03-10' });
    await staff.recorded(h1, 'vdab-registered', { on: '2024-04-01' });
    const h2 = await register('71022', '2024-03-01');
    await staff.recorded(h2, 'housed', { housingType: 'collective', municipality: '71022', on: '2024-03-05' });
    await staff.recorded(h2, 'rehoused', { housingType: 'social-rental', municipality: '71022', on: '2024-04-01', reason: 'other' });
    await staff.recorded(h2, 'left', { on: '2024-05-01', reason: 'moved-within-belgium' });
    await staff.recorded(h2, 'reopened', { on: '2024-06-01', municipality: '73040' });
    await staff.recorded(h2, 'housed', { housingType: 'private-rental', municipality: '73040', on: '2024-06-01' });
    await staff.recorded(h2, 'rehoused', { housingType: 'social-rental', municipality: '73040', on: '2024-07-01', reason: 'moved-municipality' });
    await register('73040', '2024-04-01');
    await register('71072', '2025-02-01');
    const z1 = await register('11056', '2024-05-01');
    await staff.recorded(z1, 'vdab-registered', { on: '2024-06-01' });
    await register('11056', '2024-05-02');
    await register('37018', '2024-06-01');
    await register('37021', '2025-03-01');
    await waitForProjections(testApp);
  }, 120_000);

  afterAll(async () => {
    await testApp?.close();
    await eventStore?.stop();
  });

  it('as recorded (the default): every code itself, namesakes told apart by code and years, the answer saying so', async () => {
    const stock = await json('/statistics/stock?asOf=2025-06-30&groupBy=municipality');
    expect(stock).toMatchObject({ map: 'as-recorded', by: 'registration' });
    expect(activeBy(stock.groups)).toEqual(AS_RECORDED_ON_2025_06_30);
    const byProvince = await json('/statistics/stock?asOf=2025-06-30&groupBy=province');
    expect(activeBy(byProvince.groups)).toEqual([
      ['10000', 'Antwerpen', 3],
      ['30000', 'West-Vlaanderen', 2],
      ['70000', 'Limburg', 4],
    ]);
  });

  it('GET /statistics/stock?map=2025-01-01: one group per municipality of the 2025 map, Zwijndrecht in Oost-Vlaanderen', async () => {
    const stock = await json('/statistics/stock?asOf=2025-06-30&groupBy=municipality&map=2025-01-01');
    expect(stock).toMatchObject({ map: '2025-01-01', by: 'registration' });
    expect(activeBy(stock.groups)).toEqual([
      ['11002', 'Antwerpen', 1],
      ['37021', 'Wingene', 2],
      ['46030', 'Beveren-Kruibeke-Zwijndrecht', 2],
      ['71072', 'Hasselt', 4],
    ]);
    const byProvince = await json('/statistics/stock?asOf=2025-06-30&groupBy=province&map=2025-01-01');
    expect(activeBy(byProvince.groups)).toEqual([
      ['10000', 'Antwerpen', 1],
      ['30000', 'West-Vlaanderen', 2],
      ['40000', 'Oost-Vlaanderen', 2],
      ['70000', 'Limburg', 4],
    ]);
  });

  it('on a map before the mergers: the old codes stay, and a municipality the merger created stays apart (it cannot be split back)', async () => {
    const stock = await json('/statistics/stock?asOf=2025-06-30&groupBy=municipality&map=2024-06-30');
    expect(stock.map).toBe('2024-06-30');
    expect(activeBy(stock.groups)).toEqual(AS_RECORDED_ON_2025_06_30);
  });

  it('GET /statistics/stock-over-time 2022–2026 on the 2025 map: one row per municipality of that map, no name twice', async () => {
    const overTime = await json('/statistics/stock-over-time?from=2022-01-01&to=2026-12-31&interval=year&groupBy=municipality&map=2025-01-01');
    expect(overTime).toMatchObject({ map: '2025-01-01', by: 'registration' });
    expect(overTime.points.map((p: { asOf: string }) => p.asOf)).toEqual(['2022-12-31', '2023-12-31', '2024-12-31', '2025-12-31', '2026-12-31']);
    expect(activeBy(overTime.points[2].groups)).toEqual([
      ['11002', 'Antwerpen', 1],
      ['37021', 'Wingene', 1],
      ['46030', 'Beveren-Kruibeke-Zwijndrecht', 2],
      ['71072', 'Hasselt', 3],
    ]);
    const places = new Map<string, string>();
    for (const point of overTime.points) for (const { group } of point.groups) places.set(group.nis, group.name);
    expect([...places.keys()].sort()).toEqual(['11002', '37021', '46030', '71072']);
    expect(new Set(places.values()).size).toBe(places.size);
    // As recorded, the same series names each of the two Hasselts differently.
    const recorded = await json('/statistics/stock-over-time?from=2022-01-01&to=2026-12-31&interval=year&groupBy=municipality');
    const names = new Map<string, string>();
    for (const point of recorded.points) for (const { group } of point.groups) names.set(group.nis, group.name);
    expect(new Set(names.values()).size).toBe(names.size);
    expect(names.get('71022')).toBe('Hasselt (71022, until 2024)');
  });

  it('GET /statistics/flows?map=: events counted where their code lands, persons once per group of the map', async () => {
    const path = '/statistics/flows?from=2024-01-01&to=2024-12-31&interval=year&groupBy=municipality';
    const recorded = await json(`${path}&unit=persons`);
    const rehoused = (body: any) => body.periods[0].groups.map((g: any) => [g.group.nis, g.rehousings.total.value]).filter(([, n]: [string, number]) => n > 0);
    expect(rehoused(recorded)).toEqual([['71022', 1], ['73040', 1]]);
    const onMap = await json(`${path}&unit=persons&map=2025-01-01`);
    expect(onMap).toMatchObject({ map: '2025-01-01', by: 'registration', unit: 'persons' });
    // H2 was rehoused while registered in Hasselt and again in Kortessem: one person in the Hasselt of 2025.
    expect(rehoused(onMap)).toEqual([['71072', 1]]);
    expect(rehoused(await json(`${path}&map=2025-01-01`))).toEqual([['71072', 2]]);
    const hasselt = onMap.periods[0].groups.find((g: any) => g.group.nis === '71072');
    expect(hasselt).toMatchObject({ group: { nis: '71072', name: 'Hasselt' }, registrations: { value: 3 }, departures: { total: { value: 1 } }, reopenings: { value: 1 }, stockAtEnd: { value: 3 } });
    const byProvince = await json('/statistics/flows?from=2024-01-01&to=2025-12-31&interval=year&groupBy=province&map=2025-01-01');
    expect(byProvince.periods.map((p: any) => p.groups.map((g: any) => [g.group.nis, g.registrations.value]))).toEqual([
      [['10000', 1], ['30000', 1], ['40000', 2], ['70000', 3]],
      [['10000', 0], ['30000', 1], ['40000', 0], ['70000', 1]],
    ]);
  });

  it('GET /statistics/funnel?map=: the cohort per province of registration on the map', async () => {
    const funnel = await json('/statistics/funnel?cohortFrom=2024-01&asOf=2025-06-30&groupBy=province&map=2025-01-01');
    expect(funnel).toMatchObject({ map: '2025-01-01', by: 'registration' });
    expect(funnel.groups.map((g: any) => [g.group.nis, g.steps[0].count.value])).toEqual([
      ['10000', 1],
      ['30000', 2],
      ['40000', 2],
      ['70000', 4],
    ]);
    const recorded = await json('/statistics/funnel?cohortFrom=2024-01&asOf=2025-06-30&groupBy=municipality');
    expect(new Set(namesOf(recorded.groups)).size).toBe(recorded.groups.length);
  });

  it('GET /statistics/outlook?map=: observed per province of the map', async () => {
    const outlook = await json('/statistics/outlook?endDate=2025-06-30&groupBy=province&map=2025-01-01');
    expect(outlook).toMatchObject({ map: '2025-01-01', by: 'registration' });
    expect(outlook.scenarios[0].groups.map((g: any) => [g.group.nis, g.active.value, g.left.value])).toEqual([
      ['10000', 1, 0],
      ['30000', 2, 0],
      ['40000', 2, 0],
      ['70000', 4, 0],
    ]);
  });

  it('CSV: the map and the place reading in their own columns, the groups on the map', async () => {
    const csv = await testApp
      .http()
      .get('/statistics/stock?asOf=2025-06-30&groupBy=municipality&map=2025-01-01')
      .set('Authorization', `Bearer ${analyst}`)
      .set('Accept', 'text/csv');
    expectStatus(csv, 200);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="stock-2025-06-30-municipality-map-2025-01-01.csv"');
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('as_of,group_by,map,by,group_code,group_name,measure,category,value,suppressed,incomplete,last_business_date,recorded_as_of');
    expect(lines.filter((line) => line.startsWith('2025-06-30,municipality,2025-01-01,registration,71072,Hasselt,active,,4,false,'))).toHaveLength(1);
    for (const path of ['/statistics/flows?from=2024-01-01&to=2024-12-31&interval=year', '/statistics/funnel?cohortFrom=2024-01&asOf=2025-06-30', '/statistics/outlook?endDate=2025-06-30']) {
      const answer = await testApp.http().get(`${path}&groupBy=province&map=2025-01-01`).set('Authorization', `Bearer ${analyst}`).set('Accept', 'text/csv');
      expectStatus(answer, 200);
      expect(answer.text).toContain(',province,2025-01-01,registration,40000,Oost-Vlaanderen,');
    }
  });

  describe('by=housing: grouped by where the person is housed, "Not housed" a group of its own', () => {
    it('GET /statistics/stock?by=housing: the housing municipality on the date, on the map asked for', async () => {
      const recorded = await json('/statistics/stock?asOf=2025-06-30&groupBy=municipality&by=housing');
      expect(recorded).toMatchObject({ map: 'as-recorded', by: 'housing' });
      expect(activeBy(recorded.groups)).toEqual([
        ['44021', 'Gent', 1],
        ['73040', 'Kortessem', 1],
        [null, 'Not housed', 7],
      ]);
      const onMap = await json('/statistics/stock?asOf=2025-06-30&groupBy=municipality&by=housing&map=2025-01-01');
      expect(onMap).toMatchObject({ map: '2025-01-01', by: 'housing' });
      expect(activeBy(onMap.groups)).toEqual([
        ['44021', 'Gent', 1],
        ['71072', 'Hasselt', 1],
        [null, 'Not housed', 7],
      ]);
      const byProvince = await json('/statistics/stock?asOf=2025-06-30&groupBy=province&by=housing&map=2025-01-01');
      expect(activeBy(byProvince.groups)).toEqual([
        ['40000', 'Oost-Vlaanderen', 1],
        ['70000', 'Limburg', 1],
        [null, 'Not housed', 7],
      ]);
      // Without grouping, by changes nothing but the echo.
      const all = await json('/statistics/stock?asOf=2025-06-30&by=housing');
      expect(all.groups.map((g: any) => g.active.value)).toEqual([9]);
    });

    it('GET /statistics/flows?by=housing: an event counts where it leaves the person housed, a departure where they were housed', async () => {
      const path = '/statistics/flows?from=2024-01-01&to=2024-12-31&interval=year&groupBy=municipality&by=housing';
      const counts = (body: any) =>
        Object.fromEntries(
          body.periods[0].groups.map((g: any) => [
            g.group.name,
            [g.registrations.value, g.housings.value, g.rehousings.total.value, g.departures.total.value, g.reopenings.value, g.stockAtEnd.value],
          ]),
        );
      const recorded = await json(path);
      expect(recorded).toMatchObject({ map: 'as-recorded', by: 'housing', unit: 'events' });
      // registrations, housings, rehousings, departures, reopenings, stock at the end
      expect(counts(recorded)).toEqual({
        Gent: [0, 1, 0, 0, 0, 1],
        'Hasselt (71022, until 2024)': [0, 1, 1, 1, 0, 0],
        Kortessem: [0, 1, 1, 0, 0, 1],
        'Not housed': [7, 0, 0, 0, 1, 5],
      });
      // On the 2025 map, H2's housings and rehousings in Hasselt and in Kortessem are one person's, in one Hasselt.
      expect(counts(await json(`${path}&map=2025-01-01`))).toMatchObject({ Hasselt: [0, 2, 2, 1, 0, 1] });
      expect(counts(await json(`${path}&map=2025-01-01&unit=persons`))).toMatchObject({ Hasselt: [0, 1, 1, 1, 0, 1] });
    });

    it('GET /statistics/funnel?by=housing and /statistics/outlook?by=housing: where the person is housed on the date', async () => {
      const funnel = await json('/statistics/funnel?cohortFrom=2024-01&asOf=2025-06-30&groupBy=municipality&by=housing&map=2025-01-01');
      expect(funnel).toMatchObject({ map: '2025-01-01', by: 'housing' });
      expect(funnel.groups.map((g: any) => [g.group.name, g.steps[0].count.value, g.steps[1].count.value])).toEqual([
        ['Gent', 1, 1],
        ['Hasselt', 1, 1],
        ['Not housed', 7, 0],
      ]);
      const outlook = await json('/statistics/outlook?endDate=2025-06-30&groupBy=province&by=housing&map=2025-01-01');
      expect(outlook).toMatchObject({ map: '2025-01-01', by: 'housing' });
      expect(outlook.scenarios[0].groups.map((g: any) => [g.group.name, g.active.value, g.left.value])).toEqual([
        ['Oost-Vlaanderen', 1, 0],
        ['Limburg', 1, 0],
        ['Not housed', 7, 0],
      ]);
      const overTime = await json('/statistics/stock-over-time?from=2024-01-01&to=2025-12-31&interval=year&groupBy=province&by=housing');
      expect(overTime).toMatchObject({ map: 'as-recorded', by: 'housing' });
      expect(overTime.points.map((p: any) => activeBy(p.groups))).toEqual([
        [['40000', 'Oost-Vlaanderen', 1], ['70000', 'Limburg', 1], [null, 'Not housed', 5]],
        [['40000', 'Oost-Vlaanderen', 1], ['70000', 'Limburg', 1], [null, 'Not housed', 7]],
      ]);
    });

    it('GET /statistics/vdab?by=housing: the pair per municipality the person is housed in on the date', async () => {
      const pairs = (body: any) => body.points[0].groups.map((g: any) => [g.group.nis, g.group.name, g.registeredAtVdab.value]);
      const byRegistration = await json('/statistics/vdab?on=2025-06-30&groupBy=municipality&map=2025-01-01');
      expect(byRegistration).toMatchObject({ map: '2025-01-01', by: 'registration' });
      expect(pairs(byRegistration)).toEqual([
        ['46030', 'Beveren-Kruibeke-Zwijndrecht', 1],
        ['71072', 'Hasselt', 1],
      ]);
      const byHousing = await json('/statistics/vdab?on=2025-06-30&groupBy=municipality&map=2025-01-01&by=housing');
      expect(byHousing).toMatchObject({ map: '2025-01-01', by: 'housing' });
      expect(pairs(byHousing)).toEqual([
        ['44021', 'Gent', 1],
        [null, 'Not housed', 1],
      ]);
    });

    it('by=housing with a breakdown by sex: each place of housing split, adding up to the place', async () => {
      const bySex = await json('/statistics/stock?asOf=2025-06-30&groupBy=municipality,sex&by=housing&map=2025-01-01');
      expect(bySex).toMatchObject({ groupBy: 'municipality,sex', map: '2025-01-01', by: 'housing' });
      const perPlace = new Map<string, number>();
      for (const g of bySex.groups) perPlace.set(g.group.name, (perPlace.get(g.group.name) ?? 0) + g.active.value);
      expect(Object.fromEntries(perPlace)).toEqual({ Gent: 1, Hasselt: 1, 'Not housed': 7 });
    });

    it('CSV: by in its column, "Not housed" a group without a code', async () => {
      const csv = await testApp
        .http()
        .get('/statistics/stock?asOf=2025-06-30&groupBy=municipality&by=housing&map=2025-01-01')
        .set('Authorization', `Bearer ${analyst}`)
        .set('Accept', 'text/csv');
      expectStatus(csv, 200);
      expect(csv.headers['content-disposition']).toBe('attachment; filename="stock-2025-06-30-municipality-map-2025-01-01-by-housing.csv"');
      expect(csv.text).toContain('\r\n2025-06-30,municipality,2025-01-01,housing,,Not housed,active,,7,false,');
      expect(csv.text).toContain('\r\n2025-06-30,municipality,2025-01-01,housing,71072,Hasselt,active,,1,false,');
    });
  });

  it.each(['map=2025-13-01', 'map=2025-02-30', 'map=1899-12-31', 'map=2100-01-01', 'map=2025', 'map=', 'by=home'])('400 for %s', async (parameter) => {
    const response = await testApp.http().get(`/statistics/stock?asOf=2025-06-30&${parameter}`).set('Authorization', `Bearer ${analyst}`);
    const body = expectProblem(response, 400, 'validation-failed');
    expect(body.errors).toEqual([expect.objectContaining({ field: parameter.split('=')[0] })]);
  });
});
