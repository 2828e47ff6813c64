import { DossierApi, expectProblem, expectStatus } from './support/dossier-fixtures';
import { eventStoreOfItsOwn, eventStoreUnderTest, type SuiteEventStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';

type Cell = { value: number | null; suppressed: boolean };
type Group = { group: Record<string, unknown> | null; active: Cell };
const shown = (value: number): Cell => ({ value, suppressed: false });
const hidden: Cell = { value: null, suppressed: true };

/**
 * Statistics broken down by sex and age band (groupBy as a comma list), over HTTP. The data set,
 * registered in January 2021 (A = Antwerpen 11002, province 10000; G = Gent 44021, province 40000):
 * - A: six women born 1990-06-15 (25-44); two men born 2003-05-01, who turn 18 on 2021-05-01
 *   (0-17 on 30 April, 18-24 from 1 May), one of them housed 1 Feb; one person of sex x born
 *   1950-01-01 (65+).
 * - G: five men born 1980-03-03 (25-44 in 2021, 45-64 from 2025-03-03), one of whom left 10 Mar;
 *   one woman born 1960-12-31 (45-64); one child born 2010-01-01 whose sex was not recorded.
 */
describe(`Statistics by sex and age band (${eventStoreUnderTest()} store)`, () => {
  let eventStore: SuiteEventStore | undefined;
  let testApp: TestApp;
  let analyst: string;
  let admin: string;

  const get = (path: string) => testApp.http().get(path).set('Authorization', `Bearer ${analyst}`);
  const ok = async (path: string) => {
    const response = await get(path);
    expectStatus(response, 200);
    return response.body;
  };
  const setThreshold = async (suppressBelow: number) =>
    expectStatus(await testApp.http().put('/statistics/settings').set('Authorization', `Bearer ${admin}`).send({ suppressBelow }), 200);
  /** Each group's fields and its active count. */
  const actives = (groups: Group[]) => groups.map(({ group, active }) => ({ ...group, active: active.value }));

  beforeAll(async () => {
    eventStore = await eventStoreOfItsOwn();
    testApp = await startTestApp(eventStore.env);
    const staff = new DossierApi(testApp, await testApp.token('staff'));
    analyst = await testApp.token('analyst');
    admin = await testApp.token('admin', 'stats-admin');
    const register = (municipality: string, day: number, person: Record<string, unknown>) =>
      staff.registered({ municipality, registeredOn: `2021-01-${String(day).padStart(2, '0')}`, protection: { grantedOn: '2021-01-04' }, person });
    for (let i = 0; i < 6; i++) await register('11002', 11 + i, { birthDate: '1990-06-15', sex: 'female' });
    const men = [await register('11002', 18, { birthDate: '2003-05-01', sex: 'male' }), await register('11002', 18, { birthDate: '2003-05-01', sex: 'male' })];
    await register('11002', 19, { birthDate: '1950-01-01', sex: 'x' });
    const gent = [];
    for (let i = 0; i < 5; i++) gent.push(await register('44021', 20, { birthDate: '1980-03-03', sex: 'male' }));
    await register('44021', 20, { birthDate: '1960-12-31', sex: 'female' });
    await register('44021', 20, { birthDate: '2010-01-01', sex: undefined });
    await staff.recorded(men[0], 'housed', { housingType: 'collective', municipality: '11002', on: '2021-02-01' });
    await staff.recorded(gent[0], 'left', { on: '2021-03-10', reason: 'moved-abroad' });
    await waitForProjections(testApp);
  }, 120_000);

  afterAll(async () => {
    await testApp?.close();
    await eventStore?.stop();
  });

  describe('every number shown (threshold 0)', () => {
    beforeAll(() => setThreshold(0));

    it('GET /statistics/stock by sex: the domain\'s sexes and unknown, in that order', async () => {
      const body = await ok('/statistics/stock?asOf=2021-04-30&groupBy=sex');
      expect(body.groupBy).toBe('sex');
      expect(actives(body.groups)).toEqual([
        { sex: 'female', active: 7 },
        { sex: 'male', active: 6 },
        { sex: 'x', active: 1 },
        { sex: 'unknown', active: 1 },
      ]);
    });

    it('GET /statistics/stock by age band: age on the answer\'s date, a birthday moving a person on that very day', async () => {
      expect(actives((await ok('/statistics/stock?asOf=2021-04-30&groupBy=ageBand')).groups)).toEqual([
        { ageBand: '0-17', active: 3 },
        { ageBand: '25-44', active: 10 },
        { ageBand: '45-64', active: 1 },
        { ageBand: '65+', active: 1 },
      ]);
      expect(actives((await ok('/statistics/stock?asOf=2021-05-01&groupBy=ageBand')).groups)).toEqual([
        { ageBand: '0-17', active: 1 },
        { ageBand: '18-24', active: 2 },
        { ageBand: '25-44', active: 10 },
        { ageBand: '45-64', active: 1 },
        { ageBand: '65+', active: 1 },
      ]);
    });

    it('GET /statistics/stock by a place and the person, in any order written, repeated in one order', async () => {
      const body = await ok('/statistics/stock?asOf=2021-04-30&groupBy=sex,province');
      expect(body.groupBy).toBe('province,sex');
      expect(actives(body.groups)).toEqual([
        { nis: '10000', name: 'Antwerpen', sex: 'female', active: 6 },
        { nis: '10000', name: 'Antwerpen', sex: 'male', active: 2 },
        { nis: '10000', name: 'Antwerpen', sex: 'x', active: 1 },
        { nis: '40000', name: 'Oost-Vlaanderen', sex: 'female', active: 1 },
        { nis: '40000', name: 'Oost-Vlaanderen', sex: 'male', active: 4 },
        { nis: '40000', name: 'Oost-Vlaanderen', sex: 'unknown', active: 1 },
      ]);
      const byBand = await ok('/statistics/stock?asOf=2021-05-01&groupBy=municipality,ageBand');
      expect(actives(byBand.groups)).toEqual([
        { nis: '11002', name: 'Antwerpen', ageBand: '18-24', active: 2 },
        { nis: '11002', name: 'Antwerpen', ageBand: '25-44', active: 6 },
        { nis: '11002', name: 'Antwerpen', ageBand: '65+', active: 1 },
        { nis: '44021', name: 'Gent', ageBand: '0-17', active: 1 },
        { nis: '44021', name: 'Gent', ageBand: '25-44', active: 4 },
        { nis: '44021', name: 'Gent', ageBand: '45-64', active: 1 },
      ]);
      const all = await ok('/statistics/stock?asOf=2021-05-01&groupBy=province,sex,ageBand');
      expect(all.groups[0].group).toEqual({ nis: '10000', name: 'Antwerpen', sex: 'female', ageBand: '25-44' });
      expect(all.groups.reduce((sum: number, group: Group) => sum + (group.active.value ?? 0), 0)).toBe(15);
    });

    it('GET /statistics/flows by age band: each event in the band of its period\'s last day, the stock at each end likewise', async () => {
      const body = await ok('/statistics/flows?from=2021-01-01&to=2021-05-31&groupBy=ageBand');
      const at = (period: string, band: string) =>
        body.periods.find((p: { period: string }) => p.period === period).groups.find((g: { group: { ageBand: string } }) => g.group.ageBand === band);
      expect(body.periods[0].groups.map((g: { group: unknown }) => g.group)).toEqual(['0-17', '18-24', '25-44', '45-64', '65+'].map((ageBand) => ({ ageBand })));
      expect(['0-17', '18-24', '25-44', '45-64', '65+'].map((band) => at('2021-01', band).registrations)).toEqual([shown(3), shown(0), shown(11), shown(1), shown(1)]);
      expect(at('2021-02', '0-17').housings).toEqual(shown(1));
      expect(at('2021-03', '25-44').departures.total).toEqual(shown(1));
      expect([at('2021-04', '0-17').stockAtEnd, at('2021-04', '18-24').stockAtEnd]).toEqual([shown(3), shown(0)]);
      expect([at('2021-05', '0-17').stockAtEnd, at('2021-05', '18-24').stockAtEnd]).toEqual([shown(1), shown(2)]);
      const persons = await ok('/statistics/flows?from=2021-01-01&to=2021-12-31&interval=year&groupBy=province,sex&unit=persons');
      expect(persons.periods[0].groups.map((g: { group: unknown; registrations: Cell }) => [g.group, g.registrations.value])).toEqual([
        [{ nis: '10000', name: 'Antwerpen', sex: 'female' }, 6],
        [{ nis: '10000', name: 'Antwerpen', sex: 'male' }, 2],
        [{ nis: '10000', name: 'Antwerpen', sex: 'x' }, 1],
        [{ nis: '40000', name: 'Oost-Vlaanderen', sex: 'female' }, 1],
        [{ nis: '40000', name: 'Oost-Vlaanderen', sex: 'male' }, 5],
        [{ nis: '40000', name: 'Oost-Vlaanderen', sex: 'unknown' }, 1],
      ]);
    });

    it('GET /statistics/funnel by age band on asOf', async () => {
      const body = await ok('/statistics/funnel?cohort=2021-01&asOf=2021-05-01&groupBy=ageBand');
      const counts = body.groups.map((g: { group: { ageBand: string }; steps: Array<{ count: Cell }> }) => [g.group.ageBand, g.steps[0].count.value, g.steps[1].count.value]);
      expect(counts).toEqual([
        ['0-17', 1, 0],
        ['18-24', 2, 1],
        ['25-44', 11, 0],
        ['45-64', 1, 0],
        ['65+', 1, 0],
      ]);
      expect(body.steps[0].count).toEqual(shown(16));
    });

    it('GET /statistics/outlook by age band: observed in the band of the end date, projected from the last business date in the band each person will have at the end date', async () => {
      const body = await ok('/statistics/outlook?endDate=2021-04-30&endDate=2030-03-04&groupBy=ageBand&arrivalRate=0&departureRate=0&transitionRate=0');
      const [observed, projected] = body.scenarios;
      expect(observed.kind).toBe('observed');
      expect(observed.groups.map((g: { group: { ageBand: string }; active: Cell; left: Cell }) => [g.group.ageBand, g.active.value, g.left.value])).toEqual([
        ['0-17', 3, 0],
        ['25-44', 10, 1],
        ['45-64', 1, 0],
        ['65+', 1, 0],
      ]);
      expect(projected.kind).toBe('projection');
      expect(projected.groups.map((g: { group: { ageBand: string }; active: Cell; left: Cell }) => [g.group.ageBand, g.active.value, g.left.value])).toEqual([
        ['18-24', 1, 0],
        ['25-44', 8, 0],
        ['45-64', 4, 1],
        ['65+', 2, 0],
      ]);
    });

    it('on a map of the municipalities too: the translation and the person compose (Antwerpen and Gent did not merge, so the same groups)', async () => {
      for (const path of [
        '/statistics/stock?asOf=2021-05-01&groupBy=municipality,sex,ageBand',
        '/statistics/flows?from=2021-01-01&to=2021-06-30&interval=quarter&groupBy=province,ageBand&unit=persons',
        '/statistics/funnel?cohort=2021-01&asOf=2021-05-01&groupBy=municipality,sex',
        '/statistics/outlook?endDate=2021-04-30&endDate=2030-03-04&groupBy=province,ageBand',
      ]) {
        const { map, ...asRecorded } = await ok(path);
        const { map: onMap, ...translated } = await ok(`${path}&map=2025-01-01`);
        expect([map, onMap]).toEqual(['as-recorded', '2025-01-01']);
        expect(translated).toEqual(asRecorded);
      }
    });

    it('CSV: a column per dimension beyond the place; an answer by a place alone keeps its columns', async () => {
      const csv = await get('/statistics/stock?asOf=2021-04-30&groupBy=province,sex').set('Accept', 'text/csv');
      expectStatus(csv, 200);
      const lines = csv.text.split('\r\n');
      expect(lines[0]).toBe('as_of,group_by,map,by,group_code,group_name,sex,measure,category,value,suppressed,incomplete,last_business_date,recorded_as_of');
      expect(lines.filter((line) => line.startsWith('2021-04-30,"province,sex",as-recorded,registration,10000,Antwerpen,female,active,,6,false,'))).toHaveLength(1);
      const bands = await get('/statistics/flows?from=2021-01-01&to=2021-01-31&groupBy=ageBand').set('Accept', 'text/csv');
      expect(bands.text.split('\r\n')[0]).toBe('period,period_start,period_end,group_by,map,by,group_code,group_name,age_band,measure,category,unit,value,suppressed,incomplete,last_business_date,recorded_as_of');
      expect(bands.text).toContain('2021-01,2021-01-01,2021-01-31,ageBand,as-recorded,registration,,,0-17,registrations,,events,3,false');
      const funnel = await get('/statistics/funnel?cohort=2021-01&asOf=2021-05-01&groupBy=sex').set('Accept', 'text/csv');
      expect(funnel.text.split('\r\n')[0]).toBe('cohort,cohort_from,cohort_to,as_of,residence_status,group_by,map,by,group_code,group_name,sex,step,measure,value,suppressed,incomplete,last_business_date,recorded_as_of');
      expect(funnel.text).toContain('2021-01,2021-01,2021-01,2021-05-01,,sex,as-recorded,registration,,,unknown,registered,count,1,false');
      const outlook = await get('/statistics/outlook?endDate=2021-04-30&groupBy=sex').set('Accept', 'text/csv');
      expect(outlook.text).toContain('2021-04-30,true,observed,2021-03-10,,,,sex,as-recorded,registration,,,x,active,,1,false');
      const place = await get('/statistics/stock?asOf=2021-04-30&groupBy=province').set('Accept', 'text/csv');
      expect(place.text.split('\r\n')[0]).toBe('as_of,group_by,map,by,group_code,group_name,measure,category,value,suppressed,incomplete,last_business_date,recorded_as_of');
    });
  });

  describe('suppression at the default threshold (5)', () => {
    beforeAll(() => setThreshold(5));

    it('hides the small groups of sex, and those an answer by a place and sex would give away through the published totals', async () => {
      expect((await ok('/statistics/stock?asOf=2021-04-30&groupBy=sex')).groups.map((g: Group) => g.active)).toEqual([shown(7), shown(6), hidden, hidden]);
      expect((await ok('/statistics/stock?asOf=2021-04-30&groupBy=province')).groups.map((g: Group) => g.active)).toEqual([shown(9), shown(6)]);
      // Antwerpen's 6 women would give Gent's one woman away against the 7 women, so they are hidden too.
      const body = await ok('/statistics/stock?asOf=2021-04-30&groupBy=province,sex');
      expect(body.groups.map((g: Group) => g.active)).toEqual([hidden, hidden, hidden, hidden, hidden, hidden]);
      // Antwerpen's women are all at the registered stage: hidden with their total, the zeros shown.
      expect(body.groups[0].byStage).toEqual({ registered: hidden, housed: shown(0), inburgering: shown(0), vdab: shown(0), employed: shown(0) });
      // By age band: three hidden bands (3, 1, 1) against the 15 shown: none can be worked out.
      expect((await ok('/statistics/stock?asOf=2021-04-30&groupBy=ageBand')).groups.map((g: Group) => g.active)).toEqual([hidden, shown(10), hidden, hidden]);
    });

    it('hides a funnel count of a group that the whole cohort would give away, and the rates derived from it', async () => {
      const body = await ok('/statistics/funnel?cohort=2021-01&asOf=2021-05-01&groupBy=sex');
      expect(body.steps[0].count).toEqual(shown(16));
      const registered = body.groups.map((g: { group: { sex: string }; steps: Array<{ count: Cell; rateFromRegistered: Cell }> }) => [g.group.sex, g.steps[0].count, g.steps[0].rateFromRegistered]);
      // Women 7 and men 7 shown would give away x and unknown together only (2 hidden): nothing more to hide.
      expect(registered).toEqual([
        ['female', shown(7), shown(1)],
        ['male', shown(7), shown(1)],
        ['x', hidden, hidden],
        ['unknown', hidden, hidden],
      ]);
    });
  });

  it('refuses a groupBy that breaks a rule, naming it: 400 on every statistic', async () => {
    const rules: Array<[string, RegExp]> = [
      ['province,municipality', /at most one place/],
      ['none,sex', /none stands alone/],
      ['sex,sex', /a dimension once/],
      ['age', /not "age"/],
      ['', /not ""/],
    ];
    const paths = [
      '/statistics/stock?',
      '/statistics/stock-over-time?from=2021-01-01&to=2021-03-31&',
      '/statistics/flows?from=2021-01-01&to=2021-03-31&',
      '/statistics/funnel?cohort=2021-01&',
      '/statistics/outlook?',
    ];
    for (const path of paths) {
      for (const [groupBy, rule] of rules) {
        const body = expectProblem(await get(`${path}groupBy=${encodeURIComponent(groupBy)}`), 400, 'validation-failed') as { errors: Array<{ field: string; messages: string[] }> };
        expect(body.errors).toEqual([{ field: 'groupBy', messages: [expect.stringMatching(rule)] }]);
      }
    }
  });
});
