import { DossierApi, expectProblem, expectStatus } from './support/dossier-fixtures';
import { eventStoreOfItsOwn, eventStoreUnderTest, type SuiteEventStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * Statistics as recorded at a moment (recordedAsOf), over HTTP: a table published at one moment,
 * late facts recorded afterwards, the table asked for again as recorded at that moment. The
 * statistics count every dossier in the log, so the suite has an event store of its own.
 *
 * Before T1: A1, A2, A3 registered in Antwerpen (11002) on 11–13 Jan 2021, housed 1 Feb.
 * Between T1 and T2, late facts: A1 at VDAB since 1 Mar, A2 left on 15 Feb, A4 registered on
 * 20 Jan (in Gent, 44021), and A3 employed from 1 Apr (a business date past the last one at T1).
 */
describe(`Statistics as recorded at a moment (${eventStoreUnderTest()} store)`, () => {
  let eventStore: SuiteEventStore | undefined;
  let testApp: TestApp;
  let analyst: string;
  let t0: string;
  let t1: string;
  let t2: string;
  /** Answers given at T1, JSON and CSV, by path. */
  const publishedJson = new Map<string, string>();
  const publishedCsv = new Map<string, string>();
  /** The last business date a question asked now (no recordedAsOf) showed at T1. */
  let lastBusinessDateNowAtT1: unknown;

  const get = (path: string) => testApp.http().get(path).set('Authorization', `Bearer ${analyst}`);
  const between = async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const moment = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    return moment;
  };
  const PATHS = [
    '/statistics/stock?asOf=2021-03-31&groupBy=province',
    '/statistics/stock-over-time?from=2021-01-01&to=2021-06-30&interval=quarter',
    '/statistics/flows?from=2021-01-01&to=2021-06-30&interval=quarter&groupBy=municipality',
    '/statistics/funnel?cohort=2021-01&asOf=2021-12-31',
    '/statistics/outlook?endDate=2021-03-31&endDate=2021-06-30',
    '/statistics/vdab?on=2021-03-31&groupBy=province',
  ];
  const as = (path: string, moment: string) => `${path}&recordedAsOf=${moment}`;

  beforeAll(async () => {
    eventStore = await eventStoreOfItsOwn();
    testApp = await startTestApp(eventStore.env);
    const staff = new DossierApi(testApp, await testApp.token('staff'));
    analyst = await testApp.token('analyst');
    const admin = await testApp.token('admin');
    expectStatus(await testApp.http().put('/statistics/settings').set('Authorization', `Bearer ${admin}`).send({ suppressBelow: 0 }), 200);

    t0 = await between();
    const a: string[] = [];
    for (let i = 0; i < 3; i++) a.push(await staff.registered({ municipality: '11002', registeredOn: `2021-01-1${i + 1}`, protection: { grantedOn: '2021-01-04' } }));
    for (const id of a) await staff.recorded(id, 'housed', { housingType: 'collective', municipality: '11002', on: '2021-02-01' });
    await waitForProjections(testApp);
    t1 = await between();
    for (const path of PATHS) {
      publishedJson.set(path, (await get(as(path, t1))).text);
      publishedCsv.set(path, (await get(as(path, t1)).set('Accept', 'text/csv')).text);
    }
    lastBusinessDateNowAtT1 = (await get('/statistics/stock?asOf=2021-03-31')).body.lastBusinessDate;

    await staff.recorded(a[0], 'vdab-registered', { on: '2021-03-01' });
    await staff.recorded(a[1], 'left', { on: '2021-02-15', reason: 'moved-abroad' });
    await staff.registered({ municipality: '44021', registeredOn: '2021-01-20', protection: { grantedOn: '2021-01-04' } });
    await staff.recorded(a[2], 'employment-started', { on: '2021-04-01' });
    await waitForProjections(testApp);
    t2 = await between();
  }, 120_000);

  afterAll(async () => {
    await testApp?.close();
    await eventStore?.stop();
  });

  it('reproduces every table published at T1 byte for byte, JSON and CSV, after late facts changed the figures', async () => {
    for (const path of PATHS) {
      const now = await get(path);
      expectStatus(now, 200);
      expect([path, now.body.recordedAsOf]).toEqual([path, null]);
      const again = await get(as(path, t1));
      expectStatus(again, 200);
      expect([path, again.text]).toEqual([path, publishedJson.get(path)]);
      expect([path, JSON.parse(again.text).recordedAsOf]).toEqual([path, t1]);
      // What T1 knew is not what is known now.
      expect([path, JSON.stringify({ ...now.body, recordedAsOf: t1 })]).not.toEqual([path, again.text]);
      const csv = await get(as(path, t1)).set('Accept', 'text/csv');
      expect([path, csv.text]).toEqual([path, publishedCsv.get(path)]);
    }
  });

  it('answers a question asked now with the last business date of the read model as it is now, read again after a change', async () => {
    // The last business date is read once for each version of the read model (StatisticsCache):
    // an answer after the late facts must not carry the date read before them.
    expect(lastBusinessDateNowAtT1).toBe('2021-02-01');
    expect((await get('/statistics/stock?asOf=2021-03-31')).body).toMatchObject({ recordedAsOf: null, lastBusinessDate: '2021-04-01' });
    expect((await get('/statistics/flows?from=2021-01-01&to=2021-12-31&interval=quarter')).body).toMatchObject({ recordedAsOf: null, lastBusinessDate: '2021-04-01' });
  });

  it('counts only what was recorded by the moment: the stock, the flows and the funnel at T1 and at T2', async () => {
    const stock = (moment: string) => get(as('/statistics/stock?asOf=2021-03-31', moment));
    const atT1 = (await stock(t1)).body;
    expect(atT1).toMatchObject({ recordedAsOf: t1, lastBusinessDate: '2021-02-01', incomplete: true });
    expect(atT1.groups[0]).toMatchObject({ active: { value: 3, suppressed: false }, byStage: { housed: { value: 3, suppressed: false }, vdab: { value: 0, suppressed: false } } });
    const atT2 = (await stock(t2)).body;
    // A2 left, A4 arrived: still three, one at VDAB; A3's job (1 Apr) is after the date.
    expect(atT2).toMatchObject({ recordedAsOf: t2, lastBusinessDate: '2021-04-01', incomplete: false });
    expect(atT2.groups[0]).toMatchObject({
      active: { value: 3, suppressed: false },
      byStage: { registered: { value: 1, suppressed: false }, housed: { value: 1, suppressed: false }, vdab: { value: 1, suppressed: false } },
    });
    expect((await get('/statistics/stock?asOf=2021-03-31')).body.groups).toEqual(atT2.groups);

    const flows = (await get(as('/statistics/flows?from=2021-01-01&to=2021-03-31&interval=quarter&groupBy=municipality', t1))).body;
    expect(flows.periods[0].groups.map((g: { group: { nis: string } }) => g.group.nis)).toEqual(['11002']);
    expect(flows.periods[0].groups[0]).toMatchObject({ registrations: { value: 3, suppressed: false }, departures: { total: { value: 0, suppressed: false } } });
    const later = (await get(as('/statistics/flows?from=2021-01-01&to=2021-03-31&interval=quarter&groupBy=municipality', t2))).body;
    expect(later.periods[0].groups.map((g: { group: { nis: string } }) => g.group.nis)).toEqual(['11002', '44021']);
    expect(later.periods[0].groups[0]).toMatchObject({ vdabRegistrations: { value: 1, suppressed: false }, departures: { total: { value: 1, suppressed: false } } });

    const funnel = (moment: string) => get(as('/statistics/funnel?cohort=2021-01&asOf=2021-12-31', moment));
    expect((await funnel(t1)).body.steps.map((s: { count: { value: number } }) => s.count.value)).toEqual([3, 3, 0, 0, 0]);
    expect((await funnel(t2)).body.steps.map((s: { count: { value: number } }) => s.count.value)).toEqual([4, 3, 0, 0, 0]);

    const outlook = (await get(as('/statistics/outlook?endDate=2021-03-31', t1))).body;
    expect(outlook).toMatchObject({ recordedAsOf: t1, lastBusinessDate: '2021-02-01' });
    expect(outlook.scenarios[0].groups[0]).toMatchObject({ active: { value: 3, suppressed: false }, left: { value: 0, suppressed: false } });
  });

  it('before anything was recorded: nothing counted, nothing observed', async () => {
    const stock = (await get(as('/statistics/stock?asOf=2021-03-31', t0))).body;
    expect(stock).toMatchObject({ recordedAsOf: t0, lastBusinessDate: null, incomplete: true });
    expect(stock.groups).toEqual([expect.objectContaining({ group: null, active: { value: 0, suppressed: false } })]);
    const flows = (await get(as('/statistics/flows?from=2021-01-01&to=2021-03-31&interval=quarter', t0))).body;
    expect(flows.periods[0]).toMatchObject({ incomplete: true, groups: [expect.objectContaining({ registrations: { value: 0, suppressed: false } })] });
  });

  it('takes a moment with an offset or a date, echoes it in UTC, and answers a question without a date for the business date of the moment', async () => {
    const instant = new Date(t1);
    const brussels = new Date(instant.getTime() + 3_600_000).toISOString().replace('Z', '+01:00');
    const offset = (await get(as('/statistics/stock?asOf=2021-03-31', encodeURIComponent(brussels)))).body;
    expect(offset.recordedAsOf).toBe(t1);
    const midnight = (await get('/statistics/stock?asOf=2021-03-31&recordedAsOf=2021-01-01')).body;
    expect(midnight.recordedAsOf).toBe('2021-01-01T00:00:00.000Z');
    // Without asOf, the stock on the day of the moment (in TZ_BUSINESS), as it was answered then.
    const undated = (await get(`/statistics/stock?recordedAsOf=${t1}`)).body;
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Brussels', year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
    expect(undated.asOf).toBe(day);
    const csv = await get(as('/statistics/stock?asOf=2021-03-31', t1)).set('Accept', 'text/csv');
    expect(csv.text.split('\r\n')[1]).toBe(`2021-03-31,none,as-recorded,registration,,,active,,3,false,true,2021-02-01,${t1}`);
  });

  describe('GET /statistics/revisions', () => {
    const revisions = (query: string) => get(`/statistics/revisions?from=${t1}&to=${t2}&${query}`);
    const shown = (value: number) => ({ value, suppressed: false });
    const group = (nis: string, name: string) => ({ nis, name });

    it('lists the stock cells that changed between T1 and T2, by how much, and the late events behind each', async () => {
      const response = await revisions('question=stock&asOf=2021-03-31&groupBy=municipality');
      expectStatus(response, 200);
      const { changes, ...rest } = response.body;
      expect(rest).toEqual({
        question: 'stock',
        from: t1,
        to: t2,
        parameters: { asOf: '2021-03-31', groupBy: 'municipality', by: 'registration' },
        suppressBelow: 0,
        // A1's VDAB registration, A2's departure, A4's registration; A3's job (1 Apr) is after the date.
        lateEvents: shown(3),
      });
      const antwerpen = group('11002', 'Antwerpen');
      const gent = group('44021', 'Gent');
      const change = (g: object, series: string, category: string | null, before: number, after: number, late: number) => ({
        cell: { asOf: '2021-03-31', group: g, series, category },
        before: shown(before),
        after: shown(after),
        change: after - before,
        lateEvents: shown(late),
      });
      const sorted = (list: Array<{ cell: object }>) => [...list].sort((x, y) => JSON.stringify(x.cell).localeCompare(JSON.stringify(y.cell)));
      expect(sorted(changes)).toEqual(
        sorted([
          change(antwerpen, 'active', null, 3, 2, 2),
          change(antwerpen, 'byStage', 'housed', 3, 1, 2),
          change(antwerpen, 'byStage', 'vdab', 0, 1, 2),
          change(antwerpen, 'byHousingType', 'collective', 3, 2, 2),
          change(antwerpen, 'byResidenceStatus', 'temporary-protection', 3, 2, 2),
          change(gent, 'active', null, 0, 1, 1),
          change(gent, 'byStage', 'registered', 0, 1, 1),
          change(gent, 'byHousingType', 'none', 0, 1, 1),
          change(gent, 'byResidenceStatus', 'temporary-protection', 0, 1, 1),
        ]),
      );
      // Nothing changed between two moments before the late facts.
      const none = await get(`/statistics/revisions?question=stock&asOf=2021-03-31&from=2021-01-01T00:00:00Z&to=${t0}`);
      expect(none.body).toMatchObject({ changes: [], lateEvents: shown(0) });
    });

    it('flows, funnel and outlook: only the changed cells; CSV one row per change', async () => {
      const flows = (await revisions('question=flows&periodFrom=2021-01-01&periodTo=2021-03-31&interval=quarter')).body;
      expect(flows.parameters).toEqual({ periodFrom: '2021-01-01', periodTo: '2021-03-31', interval: 'quarter', groupBy: 'none', by: 'registration', unit: 'events' });
      const series = (body: { changes: Array<{ cell: { series: string; category?: string | null }; change: number }> }) =>
        body.changes.map(({ cell, change }) => `${cell.series}${cell.category ? `:${cell.category}` : ''} ${change}`).sort();
      // A2 left and A4 arrived: the stock at the end of March is three either way, and is not listed.
      expect(series(flows)).toEqual(['departures 1', 'departures:moved-abroad 1', 'registrations 1', 'vdabRegistrations 1']);
      expect(flows.changes[0].cell).toMatchObject({ period: '2021-Q1', start: '2021-01-01', end: '2021-03-31', group: null });

      const funnel = (await revisions('question=funnel&cohort=2021-01&asOf=2021-12-31')).body;
      expect(series(funnel)).toEqual(
        // A4 registered but not housed: the first step grows, the housed rates fall; A1 at VDAB and A3 employed, without the steps before.
        ['count 1', 'reachedAtAll 1', 'rateFromPrevious -0.25', 'rateFromRegistered -0.25', 'reachedAtAll 1', 'reachedAtAll 1'].sort(),
      );
      const outlook = (await revisions('question=outlook&endDate=2021-03-31')).body;
      expect(outlook.changes.find((c: { cell: { series: string } }) => c.cell.series === 'left')).toMatchObject({
        cell: { endDate: '2021-03-31', group: null, series: 'left', category: null },
        before: shown(0),
        after: shown(1),
        change: 1,
      });

      // Grouped by the person and on another map, the late events are those of each group's dossiers alike: Gent's one registration.
      const byPerson = (await revisions('question=stock&asOf=2021-03-31&groupBy=province,sex,ageBand&map=2025-01-01')).body;
      const gent = byPerson.changes.filter((c: { cell: { group: { nis: string } } }) => c.cell.group.nis === '40000');
      expect(gent.length).toBeGreaterThan(0);
      for (const change of gent) expect(change.lateEvents).toEqual(shown(1));

      const csv = await revisions('question=flows&periodFrom=2021-01-01&periodTo=2021-03-31&interval=quarter').set('Accept', 'text/csv');
      expectStatus(csv, 200);
      const lines = csv.text.trimEnd().split('\r\n');
      expect(lines[0]).toBe(
        'question,recorded_from,recorded_to,date,period,group_by,map,by,group_code,group_name,step,series,category,before,before_suppressed,after,after_suppressed,change,late_events,late_events_suppressed',
      );
      expect(lines).toContain(`flows,${t1},${t2},2021-03-31,2021-Q1,none,as-recorded,registration,,,,registrations,,3,false,4,false,1,3,false`);
      expect(lines).toHaveLength(1 + 4);
    });

    it.each([
      ['an unknown question', 'question=map'],
      ['a parameter the question does not take', 'question=stock&cohort=2021-01'],
      ['recordedAsOf', `question=stock&recordedAsOf=${new Date().toISOString()}`],
      ['a flows question without its range', 'question=flows&interval=quarter'],
      ['a flows range that ends before it starts', 'question=flows&periodFrom=2021-03-31&periodTo=2021-01-01'],
      ["an invalid parameter of the question's", 'question=stock&asOf=2021-02-30'],
    ])('400 for %s', async (_, query) => {
      expectProblem(await revisions(query), 400, 'validation-failed');
    });

    it('400 for moments in the wrong order, in the future, or missing', async () => {
      expectProblem(await get(`/statistics/revisions?question=stock&from=${t2}&to=${t1}`), 400, 'validation-failed');
      expectProblem(await get(`/statistics/revisions?question=stock&from=${t1}&to=${t1}`), 400, 'validation-failed');
      expectProblem(await get(`/statistics/revisions?question=stock&from=${t1}&to=${new Date(Date.now() + 3_600_000).toISOString()}`), 400, 'validation-failed');
      expectProblem(await get(`/statistics/revisions?question=stock&from=${t1}`), 400, 'validation-failed');
    });

    it('never reveals a suppressed value through a change: two suppressed cells are alike, a change with a suppressed side has none', async () => {
      const admin = await testApp.token('admin');
      expectStatus(await testApp.http().put('/statistics/settings').set('Authorization', `Bearer ${admin}`).send({ suppressBelow: 5 }), 200);
      try {
        const body = (await revisions('question=stock&asOf=2021-03-31&groupBy=municipality')).body;
        expect(body.suppressBelow).toBe(5);
        // Antwerpen's 3 → 2 active are both hidden: not listed. Zeros that became 1 are listed with their hidden side.
        const antwerpen = body.changes.filter((c: { cell: { group: { nis: string } } }) => c.cell.group.nis === '11002');
        expect(antwerpen.map((c: { cell: { series: string } }) => c.cell.series)).not.toContain('active');
        expect(antwerpen.map((c: { cell: { series: string; category: string } }) => `${c.cell.series}:${c.cell.category}`)).toEqual(['byStage:vdab']);
        expect(body.changes.length).toBeGreaterThan(0);
        for (const change of body.changes) {
          expect(change.before.suppressed || change.after.suppressed).toBe(true);
          expect(change.change).toBeNull();
          expect(change.lateEvents).toEqual({ value: null, suppressed: true });
        }
        expect(body.lateEvents).toEqual({ value: null, suppressed: true });
      } finally {
        expectStatus(await testApp.http().put('/statistics/settings').set('Authorization', `Bearer ${admin}`).send({ suppressBelow: 0 }), 200);
      }
    });
  });

  it.each([
    ['in the future', () => new Date(Date.now() + 3_600_000).toISOString()],
    ['not a moment', () => 'yesterday'],
    ['without an offset', () => '2021-03-01T10:00:00'],
    ['not a calendar day', () => '2021-02-30T10:00:00Z'],
  ])('400 for a recordedAsOf %s, on every question', async (_, moment) => {
    for (const path of PATHS) {
      const body = expectProblem(await get(as(path, encodeURIComponent(moment()))), 400, 'validation-failed');
      expect(JSON.stringify(body.errors)).toContain('recordedAsOf');
    }
  });
});
