import { DossierApi, expectProblem, expectStatus } from './support/dossier-fixtures';
import { eventStoreOfItsOwn, eventStoreUnderTest, type SuiteEventStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';

type Cell = { value: number | null; suppressed: boolean };
const shown = (value: number | null): Cell => ({ value, suppressed: false });
const hidden: Cell = { value: null, suppressed: true };
const pair = (registeredAtVdab: Cell, everEmployed: Cell, employedNow: Cell, everEmployedShare: Cell, employedNowShare: Cell) => ({
  registeredAtVdab,
  everEmployed,
  employedNow,
  everEmployedShare,
  employedNowShare,
});
/** A pair with every number shown. */
const counts = (registered: number, ever: number, now: number) =>
  pair(shown(registered), shown(ever), shown(now), shown(registered ? Math.round((ever / registered) * 1000) / 1000 : null), shown(registered ? Math.round((now / registered) * 1000) / 1000 : null));

const ANTWERPEN = { nis: '10000', name: 'Antwerpen' };
const OOST_VLAANDEREN = { nis: '40000', name: 'Oost-Vlaanderen' };
const BRUSSELS = { nis: null, name: 'Brussels-Capital Region (no province)' };

/**
 * VDAB's pair (GET /statistics/vdab) and the second readings of the flows over HTTP. The data set
 * (A = Antwerpen 11002, G = Gent 44021, B = Brussel 21004, which has no province), all 2021 unless said:
 * - A1..A6 registered 11–16 Jan; A1..A5 housed (collective) 1 Feb and at VDAB 1 Mar; A6 at VDAB 1 Feb 2022.
 * - A1..A4 employed from 1 Apr; A2's job ends 30 Jun (EmploymentEnded); A5, never employed, leaves 1 Aug;
 *   A3 leaves 1 Sep while employed, comes back 1 Nov and is housed again (host family) 15 Nov.
 * - G1, G2 registered 20 Jan. G1 employed 1 Jun, and at VDAB 1 May, recorded after the job (a late fact).
 *   G2 at VDAB 1 May, leaves 1 Jul, comes back 1 Oct registered in Antwerpen, first housed (LOI) 15 Oct.
 * - B1 registered 1 Feb, at VDAB 1 Mar.
 * On 31 Dec: 8 registered at VDAB (not A6), 5 ever employed (A1..A4, G1), 3 employed (A1, A4, G1).
 * Persons: born 1985-07-30 (25-44) and women, but A1 and G1 men, A5 of sex x, G2's sex not recorded
 * (unknown); A2 born 2003-12-31 (0-17 until she turns 18 on 31 Dec 2021, 18-24 from then); A3 born
 * 1956-06-01 (45-64 until 1 Jun 2021, 65+ from then).
 */
describe(`VDAB's pair and the second readings over HTTP (${eventStoreUnderTest()} store)`, () => {
  let eventStore: SuiteEventStore | undefined;
  let testApp: TestApp;
  let staff: DossierApi;
  let analyst: string;
  let admin: string;

  const get = (path: string, token = analyst) => testApp.http().get(path).set('Authorization', `Bearer ${token}`);
  const body = async (path: string) => {
    const response = await get(path);
    expectStatus(response, 200);
    return response.body;
  };
  const setThreshold = async (suppressBelow: number) =>
    expectStatus(await testApp.http().put('/statistics/settings').set('Authorization', `Bearer ${admin}`).send({ suppressBelow }), 200);

  beforeAll(async () => {
    eventStore = await eventStoreOfItsOwn();
    testApp = await startTestApp(eventStore.env);
    staff = new DossierApi(testApp, await testApp.token('staff'));
    analyst = await testApp.token('analyst');
    admin = await testApp.token('admin');

    const persons: Array<Record<string, unknown>> = [{ sex: 'male' }, { birthDate: '2003-12-31' }, { birthDate: '1956-06-01' }, {}, { sex: 'x' }, {}];
    const a: string[] = [];
    for (let i = 0; i < 6; i++) {
      a.push(await staff.registered({ municipality: '11002', registeredOn: `2021-01-1${i + 1}`, protection: { grantedOn: '2021-01-04' }, person: persons[i] }));
    }
    const g1 = await staff.registered({ municipality: '44021', registeredOn: '2021-01-20', protection: { grantedOn: '2021-01-04' }, person: { sex: 'male' } });
    const g2 = await staff.registered({ municipality: '44021', registeredOn: '2021-01-20', protection: { grantedOn: '2021-01-04' }, person: { sex: undefined } });
    const b1 = await staff.registered({ municipality: '21004', registeredOn: '2021-02-01', protection: { grantedOn: '2021-01-04' } });
    for (const id of a.slice(0, 5)) {
      await staff.recorded(id, 'housed', { housingType: 'collective', municipality: '11002', on: '2021-02-01' });
      await staff.recorded(id, 'vdab-registered', { on: '2021-03-01' });
    }
    await staff.recorded(a[5], 'vdab-registered', { on: '2022-02-01' });
    for (const id of a.slice(0, 4)) await staff.recorded(id, 'employment-started', { on: '2021-04-01' });
    await staff.recorded(a[1], 'employment-ended', { on: '2021-06-30' });
    await staff.recorded(a[4], 'left', { on: '2021-08-01', reason: 'returned-to-ukraine' });
    await staff.recorded(a[2], 'left', { on: '2021-09-01', reason: 'moved-abroad' });
    await staff.recorded(a[2], 'reopened', { on: '2021-11-01', municipality: '11002' });
    await staff.recorded(a[2], 'housed', { housingType: 'host-family', municipality: '11002', on: '2021-11-15' });
    await staff.recorded(g1, 'employment-started', { on: '2021-06-01' });
    await staff.recorded(g1, 'vdab-registered', { on: '2021-05-01' });
    await staff.recorded(g2, 'vdab-registered', { on: '2021-05-01' });
    await staff.recorded(g2, 'left', { on: '2021-07-01', reason: 'moved-within-belgium' });
    await staff.recorded(g2, 'reopened', { on: '2021-10-01', municipality: '11002' });
    await staff.recorded(g2, 'housed', { housingType: 'loi', municipality: '11002', on: '2021-10-15' });
    await staff.recorded(b1, 'vdab-registered', { on: '2021-03-01' });
    await waitForProjections(testApp);
  }, 120_000);

  afterAll(async () => {
    await testApp?.close();
    await eventStore?.stop();
  });

  describe('GET /statistics/vdab with the default threshold (fewer than 5 persons suppressed)', () => {
    it('the pair on a date: everyone registered at VDAB by then, the gone included; small counts and their shares suppressed', async () => {
      expect(await body('/statistics/vdab?on=2021-12-31')).toEqual({
        on: '2021-12-31',
        from: null,
        to: null,
        interval: null,
        population: 'all',
        groupBy: 'none',
        map: 'as-recorded',
        by: 'registration',
        suppressBelow: 5,
        lastBusinessDate: '2022-02-01',
        recordedAsOf: null,
        points: [{ on: '2021-12-31', incomplete: false, total: pair(shown(8), shown(5), hidden, shown(0.625), hidden), groups: [] }],
      });
    });

    it('per province: groups hidden together so that none can be worked out from the total', async () => {
      const { points } = await body('/statistics/vdab?on=2021-12-31&groupBy=province');
      expect(points[0].total).toEqual(pair(shown(8), shown(5), hidden, shown(0.625), hidden));
      // Registered: 6, 1, 1; the two 1s alone would add up to 8 - 6, so Antwerpen is hidden with them.
      expect(points[0].groups).toEqual([
        { group: ANTWERPEN, ...pair(hidden, hidden, hidden, hidden, hidden) },
        { group: OOST_VLAANDEREN, ...pair(hidden, hidden, hidden, hidden, hidden) },
        { group: BRUSSELS, ...pair(hidden, shown(0), shown(0), hidden, hidden) },
      ]);
    });
  });

  describe('GET /statistics/vdab with every number shown (threshold 0)', () => {
    beforeAll(() => setThreshold(0));
    afterAll(() => setThreshold(5));

    it('counts the persons registered at VDAB by the date, ever employed by then, and employed on it (a departure ends the job)', async () => {
      const { points } = await body('/statistics/vdab?on=2021-12-31');
      expect(points[0].total).toEqual(counts(8, 5, 3));
      expect(points[0].total.everEmployedShare).toEqual(shown(0.625));
      const active = await body('/statistics/vdab?on=2021-12-31&population=active');
      // A5 left and did not come back.
      expect(active.population).toBe('active');
      expect(active.points[0].total).toEqual(counts(7, 5, 3));
      expect(active.points[0].total.everEmployedShare).toEqual(shown(0.714));
    });

    it('groups by the municipality or province of registration on the date (G2 came back in Antwerpen)', async () => {
      const june = await body('/statistics/vdab?on=2021-06-15&groupBy=province');
      expect(june.points[0].total).toEqual(counts(8, 5, 5));
      expect(june.points[0].groups).toEqual([
        { group: ANTWERPEN, ...counts(5, 4, 4) },
        { group: OOST_VLAANDEREN, ...counts(2, 1, 1) },
        { group: BRUSSELS, ...counts(1, 0, 0) },
      ]);
      const december = await body('/statistics/vdab?on=2021-12-31&groupBy=municipality');
      expect(december.points[0].groups).toEqual([
        { group: { nis: '11002', name: 'Antwerpen' }, ...counts(6, 4, 2) },
        { group: { nis: '21004', name: 'Brussel' }, ...counts(1, 0, 0) },
        { group: { nis: '44021', name: 'Gent' }, ...counts(1, 1, 1) },
      ]);
    });

    it('groups by cohort, the year of the VDAB registration, alone or with the place', async () => {
      const byCohort = await body('/statistics/vdab?on=2022-12-31&groupBy=cohort');
      expect(byCohort.points[0].total).toEqual(counts(9, 5, 3));
      expect(byCohort.points[0].groups).toEqual([
        { group: { cohort: '2021' }, ...counts(8, 5, 3) },
        { group: { cohort: '2022' }, ...counts(1, 0, 0) },
      ]);
      // Either order; the answer names the place first.
      const both = await body('/statistics/vdab?on=2022-12-31&groupBy=cohort,province');
      expect(both.groupBy).toBe('province,cohort');
      expect(both.points[0].groups).toEqual([
        { group: { ...ANTWERPEN, cohort: '2021' }, ...counts(6, 4, 2) },
        { group: { ...ANTWERPEN, cohort: '2022' }, ...counts(1, 0, 0) },
        { group: { ...OOST_VLAANDEREN, cohort: '2021' }, ...counts(1, 1, 1) },
        { group: { ...BRUSSELS, cohort: '2021' }, ...counts(1, 0, 0) },
      ]);
    });

    it('groups by sex and by age band on the date, as every statistic does, alone or with the cohort', async () => {
      const bySex = await body('/statistics/vdab?on=2021-12-31&groupBy=sex');
      expect(bySex.groupBy).toBe('sex');
      expect(bySex.points[0].total).toEqual(counts(8, 5, 3));
      expect(bySex.points[0].groups).toEqual([
        { group: { sex: 'female' }, ...counts(4, 3, 1) },
        { group: { sex: 'male' }, ...counts(2, 2, 2) },
        { group: { sex: 'x' }, ...counts(1, 0, 0) },
        { group: { sex: 'unknown' }, ...counts(1, 0, 0) },
      ]);
      // A2 turns 18 on 31 Dec: 0-17 the day before. A3 turned 65 on 1 Jun.
      const bands = async (on: string) => (await body(`/statistics/vdab?on=${on}&groupBy=ageBand`)).points[0].groups;
      expect(await bands('2021-12-30')).toEqual([
        { group: { ageBand: '0-17' }, ...counts(1, 1, 0) },
        { group: { ageBand: '25-44' }, ...counts(6, 3, 3) },
        { group: { ageBand: '65+' }, ...counts(1, 1, 0) },
      ]);
      expect(await bands('2021-12-31')).toEqual([
        { group: { ageBand: '18-24' }, ...counts(1, 1, 0) },
        { group: { ageBand: '25-44' }, ...counts(6, 3, 3) },
        { group: { ageBand: '65+' }, ...counts(1, 1, 0) },
      ]);
      expect(await bands('2021-05-31')).toContainEqual({ group: { ageBand: '45-64' }, ...counts(1, 1, 1) });
      // In a range, the age on each period's end; the cohort after the age band, whichever order asked.
      const yearly = await body('/statistics/vdab?from=2021-01-01&to=2022-12-31&interval=year&groupBy=cohort,ageBand');
      expect(yearly.groupBy).toBe('ageBand,cohort');
      expect(yearly.points[1].groups).toEqual([
        { group: { ageBand: '18-24', cohort: '2021' }, ...counts(1, 1, 0) },
        { group: { ageBand: '25-44', cohort: '2021' }, ...counts(6, 3, 3) },
        { group: { ageBand: '25-44', cohort: '2022' }, ...counts(1, 0, 0) },
        { group: { ageBand: '65+', cohort: '2021' }, ...counts(1, 1, 0) },
      ]);
      const csv = await get('/statistics/vdab?on=2021-12-31&groupBy=province,sex,ageBand').set('Accept', 'text/csv');
      expect(csv.headers['content-disposition']).toBe('attachment; filename="vdab-2021-12-31-province-sex-ageBand.csv"');
      const lines = csv.text.trimEnd().split('\r\n');
      expect(lines[0]).toBe('on,incomplete,population,group_by,map,by,group_code,group_name,sex,age_band,cohort,measure,value,suppressed,last_business_date,recorded_as_of');
      expect(lines[1]).toBe('2021-12-31,false,all,none,as-recorded,registration,,,,,,registeredAtVdab,8,false,2022-02-01,');
      expect(lines).toContain('2021-12-31,false,all,"province,sex,ageBand",as-recorded,registration,10000,Antwerpen,female,18-24,,everEmployed,1,false,2022-02-01,');
    });

    it('answers the pair at the end of every period of a range, flagging dates after the last business date', async () => {
      const quarterly = await body('/statistics/vdab?from=2021-01-01&to=2021-12-31&interval=quarter');
      expect({ ...quarterly, points: undefined }).toEqual({
        on: null,
        from: '2021-01-01',
        to: '2021-12-31',
        interval: 'quarter',
        population: 'all',
        groupBy: 'none',
        map: 'as-recorded',
        by: 'registration',
        suppressBelow: 0,
        lastBusinessDate: '2022-02-01',
        recordedAsOf: null,
        points: undefined,
      });
      expect(quarterly.points.map((p: { on: string; incomplete: boolean; total: unknown }) => [p.on, p.incomplete, p.total])).toEqual([
        ['2021-03-31', false, counts(6, 0, 0)],
        ['2021-06-30', false, counts(8, 5, 4)],
        ['2021-09-30', false, counts(8, 5, 3)],
        ['2021-12-31', false, counts(8, 5, 3)],
      ]);
      const late = await body('/statistics/vdab?from=2022-01-01&to=2022-03-15&interval=month');
      expect(late.points.map((p: { on: string; incomplete: boolean }) => [p.on, p.incomplete])).toEqual([
        ['2022-01-31', false],
        ['2022-02-28', true],
        ['2022-03-15', true],
      ]);
      expect((await body('/statistics/vdab?on=2030-01-01')).points[0].incomplete).toBe(true);
    });

    it('answers CSV, one row per number, the total first; for Excel with Belgian settings too', async () => {
      const response = await get('/statistics/vdab?on=2021-12-31&groupBy=province').set('Accept', 'text/csv');
      expectStatus(response, 200);
      expect(response.headers['content-disposition']).toBe('attachment; filename="vdab-2021-12-31-province.csv"');
      const lines = response.text.trimEnd().split('\r\n');
      expect(lines.slice(0, 7)).toEqual([
        'on,incomplete,population,group_by,map,by,group_code,group_name,cohort,measure,value,suppressed,last_business_date,recorded_as_of',
        '2021-12-31,false,all,none,as-recorded,registration,,,,registeredAtVdab,8,false,2022-02-01,',
        '2021-12-31,false,all,none,as-recorded,registration,,,,everEmployed,5,false,2022-02-01,',
        '2021-12-31,false,all,none,as-recorded,registration,,,,employedNow,3,false,2022-02-01,',
        '2021-12-31,false,all,none,as-recorded,registration,,,,everEmployedShare,0.625,false,2022-02-01,',
        '2021-12-31,false,all,none,as-recorded,registration,,,,employedNowShare,0.375,false,2022-02-01,',
        '2021-12-31,false,all,province,as-recorded,registration,10000,Antwerpen,,registeredAtVdab,6,false,2022-02-01,',
      ]);
      expect(lines).toHaveLength(1 + 5 * 4);
      expect(lines).toContain('2021-12-31,false,all,province,as-recorded,registration,,Brussels-Capital Region (no province),,everEmployedShare,0,false,2022-02-01,');
      const excel = await get('/statistics/vdab?on=2021-12-31&groupBy=cohort&csvDialect=excel-be').set('Accept', 'text/csv');
      expect(excel.text.startsWith('\uFEFFon;incomplete;population;group_by;map;by;group_code;group_name;cohort;measure;value;suppressed;last_business_date;recorded_as_of\r\n')).toBe(true);
      expect(excel.text).toContain('\r\n2021-12-31;false;all;cohort;as-recorded;registration;;;2021;employedNowShare;0,375;false;2022-02-01;\r\n');
    });
  });

  describe('GET /statistics/vdab by the person at a threshold of 2: suppressed across the groups', () => {
    beforeAll(() => setThreshold(2));
    afterAll(() => setThreshold(5));

    it('hides a group that its margin would give away, and the shares of every hidden count', async () => {
      // On 31 Dec, registered / ever employed / employed: Antwerpen women 3/3/1 (A2, A3, A4), men 1/1/1 (A1), x 1/0/0 (A5),
      // unknown 1/0/0 (G2, back in Antwerpen); Oost-Vlaanderen men 1/1/1 (G1); Brussels women 1/0/0 (B1).
      const { groupBy, points } = await body('/statistics/vdab?on=2021-12-31&groupBy=sex,province');
      expect(groupBy).toBe('province,sex');
      expect(points[0].total).toEqual(counts(8, 5, 3));
      // Women registered: 4 in the answer by sex (shown), Brussels' 1 hidden: Antwerpen's 3 would give it away, so it is hidden too.
      expect(points[0].groups).toEqual([
        { group: { ...ANTWERPEN, sex: 'female' }, ...pair(hidden, shown(3), hidden, hidden, hidden) },
        { group: { ...ANTWERPEN, sex: 'male' }, ...pair(hidden, hidden, hidden, hidden, hidden) },
        { group: { ...ANTWERPEN, sex: 'x' }, ...pair(hidden, shown(0), shown(0), hidden, hidden) },
        { group: { ...ANTWERPEN, sex: 'unknown' }, ...pair(hidden, shown(0), shown(0), hidden, hidden) },
        { group: { ...OOST_VLAANDEREN, sex: 'male' }, ...pair(hidden, hidden, hidden, hidden, hidden) },
        { group: { ...BRUSSELS, sex: 'female' }, ...pair(hidden, shown(0), shown(0), hidden, hidden) },
      ]);
      // Its margins as they answer: by sex, women and men registered shown (4, 2), x and unknown hidden together.
      const bySex = (await body('/statistics/vdab?on=2021-12-31&groupBy=sex')).points[0].groups;
      expect(bySex.map((g: { registeredAtVdab: Cell }) => g.registeredAtVdab)).toEqual([shown(4), shown(2), hidden, hidden]);
    });
  });

  describe('flows: the second readings beside the first', () => {
    beforeAll(() => setThreshold(0));
    afterAll(() => setThreshold(5));

    const monthly = async (unit: 'events' | 'persons') => {
      const flows = await body(`/statistics/flows?from=2021-01-01&to=2021-12-31&interval=month&unit=${unit}`);
      return Object.fromEntries(
        flows.periods.map((p: any) => {
          const g = p.groups[0];
          return [p.period, [g.housings.value, g.firstHousingsEver.value, g.employmentEnds.value, g.employmentEndsIncludingDepartures.value]];
        }),
      );
    };

    it('housings (first housing of each stay) and firstHousingsEver; employmentEnds (EmploymentEnded) and employmentEndsIncludingDepartures', async () => {
      for (const unit of ['events', 'persons'] as const) {
        const months = await monthly(unit);
        // [housings, firstHousingsEver, employmentEnds, employmentEndsIncludingDepartures]
        expect([unit, months['2021-02'], months['2021-06'], months['2021-07'], months['2021-08'], months['2021-09'], months['2021-10'], months['2021-11']]).toEqual([
          unit,
          [5, 5, 0, 0],
          [0, 0, 1, 1],
          // G2 and A5 leave without a job.
          [0, 0, 0, 0],
          [0, 0, 0, 0],
          // A3 leaves while employed.
          [0, 0, 0, 1],
          // G2 is housed for the first time, after coming back.
          [1, 1, 0, 0],
          // A3 is housed again after coming back: a housing of the stay, not a first housing ever.
          [1, 0, 0, 0],
        ]);
      }
      const byProvince = await body('/statistics/flows?from=2021-09-01&to=2021-11-30&interval=year&groupBy=province');
      const antwerpen = byProvince.periods[0].groups.find((g: any) => g.group.nis === '10000');
      expect([antwerpen.housings, antwerpen.firstHousingsEver, antwerpen.employmentEnds, antwerpen.employmentEndsIncludingDepartures]).toEqual([
        shown(2),
        shown(1),
        shown(0),
        shown(1),
      ]);
      const csv = await get('/statistics/flows?from=2021-09-01&to=2021-09-30').set('Accept', 'text/csv');
      expect(csv.text).toContain('\r\n2021-09,2021-09-01,2021-09-30,none,as-recorded,registration,,,employmentEndsIncludingDepartures,,events,1,false,false,2022-02-01,\r\n');
    });
  });

  describe('refuses', () => {
    // The invalid parameters are refused with the other statistics' in statistics.e2e.spec.ts.
    it('400 for more than 240 periods; 403 for auditors, 401 without a token', async () => {
      expectProblem(await get('/statistics/vdab?from=2000-01-01&to=2026-01-01&interval=month'), 400, 'too-many-periods');
      expectProblem(await get('/statistics/vdab', await testApp.token('auditor')), 403);
      expectProblem(await testApp.http().get('/statistics/vdab'), 401);
      expectStatus(await get('/statistics/vdab', await testApp.token('staff')), 200);
    });

    it('400 naming the rule a groupBy breaks, as every statistic; nothing else answers', async () => {
      for (const [groupBy, rule] of [
        ['province,municipality,cohort', /at most one place/],
        ['none,cohort', /none stands alone/],
        ['cohort,cohort', /a dimension once/],
        ['year', /dimensions of province, municipality, sex, ageBand, cohort; not "year"/],
      ] as const) {
        const problem = expectProblem(await get(`/statistics/vdab?on=2021-12-31&groupBy=${groupBy}`), 400, 'validation-failed') as { errors: Array<{ field: string; messages: string[] }> };
        expect(problem.errors).toEqual([{ field: 'groupBy', messages: [expect.stringMatching(rule)] }]);
      }
    });
  });
});
