import { DataSource } from 'typeorm';
import { FlowStatisticsReader, periodsBetween, REGISTRATION_AS_RECORDED } from '@app/read-models';
import { publishedCells } from '@app/testing';
import { DossierApi, expectProblem, expectStatus } from './support/dossier-fixtures';
import { eventStoreOfItsOwn, eventStoreUnderTest, type SuiteEventStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';
import { describeStatisticsProperty, outlookGivenAway } from './statistics-property.suite';

type Cell = { value: number | null; suppressed: boolean };
const shown = (value: number): Cell => ({ value, suppressed: false });
const hidden: Cell = { value: null, suppressed: true };

/**
 * Statistics over HTTP. They count every dossier in the log, so the suite has an event store of
 * its own (support/event-store-under-test.ts).
 *
 * The data set (A = Antwerpen 11002, G = Gent 44021, B = Brussel 21004, which has no province):
 * - A1..A6 registered 11–16 Jan; A1..A4 housed collective, A5..A6 host family, 1 Feb;
 *   A4 enrolled in the voortraject on 20 Jan, recorded after its housing (a late fact);
 *   A1..A3 at VDAB 5 Mar; A1, A2 employed 1 Apr; A2's job ends 30 Jun;
 *   A1..A5 rehoused to social rental 1 Jul (site closed).
 * - G1, G2 registered 20 Jan; G1 housed in an LOI 1 Feb; G2 left 10 May (moved abroad) and came back 1 Aug.
 * - B1 registered 1 Feb.
 * - A1..A5 moved to a single permit 15 Jul (and stayed); G1 applied for international protection 1 Jun.
 */
describe(`Statistics over HTTP (${eventStoreUnderTest()} store)`, () => {
  let eventStore: SuiteEventStore | undefined;
  let testApp: TestApp;
  let staff: DossierApi;
  let analyst: string;
  let admin: string;

  const get = (path: string, token = analyst) => testApp.http().get(path).set('Authorization', `Bearer ${token}`);
  const setThreshold = async (suppressBelow: number) => {
    const response = await testApp.http().put('/statistics/settings').set('Authorization', `Bearer ${admin}`).send({ suppressBelow });
    expectStatus(response, 200);
    expect(response.body).toMatchObject({ suppressBelow, updatedBy: 'stats-admin' });
  };

  beforeAll(async () => {
    eventStore = await eventStoreOfItsOwn();
    testApp = await startTestApp(eventStore.env);
    staff = new DossierApi(testApp, await testApp.token('staff'));
    analyst = await testApp.token('analyst');
    admin = await testApp.token('admin', 'stats-admin');

    const a: string[] = [];
    for (let i = 0; i < 6; i++) a.push(await staff.registered({ municipality: '11002', registeredOn: `2021-01-1${i + 1}`, protection: { grantedOn: '2021-01-04' } }));
    const g1 = await staff.registered({ municipality: '44021', registeredOn: '2021-01-20', protection: { grantedOn: '2021-01-04' } });
    const g2 = await staff.registered({ municipality: '44021', registeredOn: '2021-01-20', protection: { grantedOn: '2021-01-04' } });
    await staff.registered({ municipality: '21004', registeredOn: '2021-02-01', protection: { grantedOn: '2021-01-04' } });
    for (const [i, id] of a.entries()) {
      await staff.recorded(id, 'housed', { housingType: i < 4 ? 'collective' : 'host-family', municipality: '11002', on: '2021-02-01' });
    }
    await staff.recorded(a[3], 'inburgering-enrolled', { trajectory: 'voortraject', on: '2021-01-20' });
    for (const id of a.slice(0, 3)) await staff.recorded(id, 'vdab-registered', { on: '2021-03-05' });
    for (const id of a.slice(0, 2)) await staff.recorded(id, 'employment-started', { on: '2021-04-01' });
    await staff.recorded(a[1], 'employment-ended', { on: '2021-06-30' });
    for (const id of a.slice(0, 5)) {
      await staff.recorded(id, 'rehoused', { housingType: 'social-rental', municipality: '11002', on: '2021-07-01', reason: 'site-closed' });
    }
    await staff.recorded(g1, 'housed', { housingType: 'loi', municipality: '44021', on: '2021-02-01' });
    await staff.recorded(g2, 'left', { on: '2021-05-10', reason: 'moved-abroad' });
    await staff.recorded(g2, 'reopened', { on: '2021-08-01', municipality: '44021' });
    for (const id of a.slice(0, 5)) await staff.recorded(id, 'status-changed', { on: '2021-07-15', status: 'single-permit' });
    await staff.recorded(g1, 'status-changed', { on: '2021-06-01', status: 'international-protection-applied' });
    await waitForProjections(testApp);
  }, 120_000);

  afterAll(async () => {
    await testApp?.close();
    await eventStore?.stop();
  });

  describe('with the default threshold (fewer than 5 persons suppressed)', () => {
    it('GET /statistics/stock: active dossiers by stage and housing type, small cells suppressed, zeros shown', async () => {
      const response = await get('/statistics/stock?asOf=2021-04-30');
      expectStatus(response, 200);
      expect(response.body).toEqual({
        asOf: '2021-04-30',
        groupBy: 'none',
        map: 'as-recorded',
        by: 'registration',
        suppressBelow: 5,
        // The last fact of the data set is dated 2021-08-01: April is observed.
        lastBusinessDate: '2021-08-01',
        recordedAsOf: null,
        incomplete: false,
        groups: [
          {
            group: null,
            active: shown(9),
            byStage: { registered: hidden, housed: hidden, inburgering: hidden, vdab: hidden, employed: hidden },
            byHousingType: {
              'host-family': hidden,
              collective: hidden,
              'emergency-village': shown(0),
              loi: hidden,
              'social-rental': shown(0),
              'private-rental': shown(0),
              other: shown(0),
              none: hidden,
            },
            byResidenceStatus: {
              'temporary-protection': shown(9),
              'single-permit': shown(0),
              student: shown(0),
              'family-reunification': shown(0),
              'international-protection-applied': shown(0),
              'international-protection-granted': shown(0),
              'other-national-status': shown(0),
            },
            everEmployed: hidden,
            employedNow: hidden,
          },
        ],
      });
      expect(response.text).not.toMatch(/Kovalenko|Olena|1985-07-30|TB-2022/);
    });

    it('GET /statistics/flows by month: counts on business dates, 5 persons shown', async () => {
      const response = await get('/statistics/flows?from=2021-01-01&to=2021-12-31&interval=month');
      expectStatus(response, 200);
      const { periods, ...rest } = response.body;
      expect(rest).toEqual({ from: '2021-01-01', to: '2021-12-31', interval: 'month', groupBy: 'none', map: 'as-recorded', by: 'registration', unit: 'events', suppressBelow: 5, lastBusinessDate: '2021-08-01', recordedAsOf: null });
      expect(periods.map((p: { period: string }) => p.period)).toEqual([
        '2021-01', '2021-02', '2021-03', '2021-04', '2021-05', '2021-06', '2021-07', '2021-08', '2021-09', '2021-10', '2021-11', '2021-12',
      ]);
      // From August on, a period reaches past the last fact recorded: incomplete, not observed.
      expect(periods.map((p: { incomplete: boolean }) => p.incomplete)).toEqual([...Array(7).fill(false), ...Array(5).fill(true)]);
      const [jan, feb, , , , , jul] = periods.map((p: { groups: unknown[] }) => p.groups[0]);
      expect(jan).toMatchObject({ group: null, registrations: shown(8), inburgeringEnrolments: { total: hidden }, stockAtEnd: shown(8) });
      expect(feb).toMatchObject({ registrations: hidden, housings: shown(7), stockAtEnd: shown(9) });
      expect(jul.rehousings).toEqual({
        total: shown(5),
        byReason: {
          'host-placement-ended': shown(0),
          'site-closed': shown(5),
          'emergency-village-closed': shown(0),
          'moved-municipality': shown(0),
          other: shown(0),
        },
      });
      expect(periods[0]).toMatchObject({ start: '2021-01-01', end: '2021-01-31' });
      expect(jul.transitions).toEqual({
        total: shown(5),
        byStatus: {
          'single-permit': shown(5),
          student: shown(0),
          'family-reunification': shown(0),
          'international-protection-applied': shown(0),
          'international-protection-granted': shown(0),
          'other-national-status': shown(0),
        },
      });
      // One person: suppressed, and so is the status it splits into.
      expect(periods[5].groups[0].transitions).toMatchObject({ total: hidden, byStatus: { 'international-protection-applied': hidden, 'single-permit': shown(0) } });
    });

    it('GET /statistics/stock after the transitions: still active, split into temporary protection and each other status', async () => {
      const response = await get('/statistics/stock?asOf=2021-07-31');
      expect(response.body.groups[0]).toMatchObject({
        active: shown(8),
        // A6 and B1 under temporary protection, G1 applied: 3 persons hidden, too few to stay hidden beside a
        // total of 8, so the single permits (5) are hidden too.
        byResidenceStatus: { 'temporary-protection': hidden, 'single-permit': hidden, 'international-protection-applied': hidden, student: shown(0) },
      });
    });

    it('answers CSV for Accept: text/csv, suppressed cells empty and flagged', async () => {
      const response = await get('/statistics/stock?asOf=2021-04-30').set('Accept', 'text/csv');
      expectStatus(response, 200);
      expect(response.headers['content-type']).toMatch(/^text\/csv/);
      const lines = response.text.trimEnd().split('\r\n');
      expect(lines[0]).toBe('as_of,group_by,map,by,group_code,group_name,measure,category,value,suppressed,incomplete,last_business_date,recorded_as_of');
      expect(lines).toContain('2021-04-30,none,as-recorded,registration,,,active,,9,false,false,2021-08-01,');
      expect(lines).toContain('2021-04-30,none,as-recorded,registration,,,byStage,employed,,true,false,2021-08-01,');
      expect(lines).toContain('2021-04-30,none,as-recorded,registration,,,byHousingType,other,0,false,false,2021-08-01,');
      expect(lines).toContain('2021-04-30,none,as-recorded,registration,,,byResidenceStatus,temporary-protection,9,false,false,2021-08-01,');
      expect(lines).toHaveLength(1 + 1 + 5 + 8 + 7 + 2);

      const flows = await get('/statistics/flows?from=2021-07-01&to=2021-07-31&interval=month').set('Accept', 'text/csv');
      expectStatus(flows, 200);
      const flowLines = flows.text.trimEnd().split('\r\n');
      expect(flowLines[0]).toBe('period,period_start,period_end,group_by,map,by,group_code,group_name,measure,category,unit,value,suppressed,incomplete,last_business_date,recorded_as_of');
      expect(flowLines).toContain('2021-07,2021-07-01,2021-07-31,none,as-recorded,registration,,,rehousings,,events,5,false,false,2021-08-01,');
      expect(flowLines).toContain('2021-07,2021-07-01,2021-07-31,none,as-recorded,registration,,,rehousings,site-closed,events,5,false,false,2021-08-01,');
      // A period reaching past the last business date is flagged, as in the JSON.
      const august = await get('/statistics/flows?from=2021-08-01&to=2021-08-31&interval=month').set('Accept', 'text/csv');
      expect(august.text).toContain('2021-08,2021-08-01,2021-08-31,none,as-recorded,registration,,,stockAtEnd,,persons,9,false,true,2021-08-01,');
    });

    it('counts flows in persons on unit=persons: each person once per period and group, labelled; the stock at the end unchanged', async () => {
      const query = '/statistics/flows?from=2021-01-01&to=2021-12-31&interval=quarter&groupBy=province';
      const events = await get(query);
      const persons = await get(`${query}&unit=persons`);
      expectStatus(persons, 200);
      expect(events.body.unit).toBe('events');
      expect(persons.body.unit).toBe('persons');
      events.body.periods.forEach((period: { groups: Array<Record<string, any>> }, p: number) =>
        period.groups.forEach((group, g) => {
          const other = persons.body.periods[p].groups[g];
          expect(other.group).toEqual(group.group);
          expect(other.stockAtEnd).toEqual(group.stockAtEnd);
          for (const measure of ['registrations', 'housings', 'vdabRegistrations', 'employmentStarts', 'employmentEnds', 'reopenings']) {
            // Suppressed alike: both are suppressed on their persons.
            expect(other[measure].suppressed).toBe(group[measure].suppressed);
            if (!group[measure].suppressed) expect(other[measure].value).toBeLessThanOrEqual(group[measure].value);
          }
          // One registration per dossier: as many persons as events.
          expect(other.registrations).toEqual(group.registrations);
        }),
      );
      const csv = await get(`${query}&unit=persons`).set('Accept', 'text/csv');
      expect(csv.headers['content-disposition']).toBe('attachment; filename="flows-2021-01-01-2021-12-31-quarter-province-persons.csv"');
      const lines = csv.text.trimEnd().split('\r\n').slice(1);
      expect(lines.filter((line) => line.includes(',stockAtEnd,')).every((line) => line.includes(',stockAtEnd,,persons,'))).toBe(true);
      expect(lines.filter((line) => !line.includes(',stockAtEnd,')).every((line) => line.split(',')[10] === 'persons')).toBe(true);
      expectProblem(await get(`${query}&unit=people`), 400, 'validation-failed');
      expectProblem(await get('/statistics/stock-over-time?from=2021-01-01&to=2021-12-31&unit=persons'), 400, 'validation-failed');
    });

    it('writes CSV for Excel with Belgian settings on csvDialect=excel-be: a byte order mark, ; between fields, , in decimals', async () => {
      const stock = await get('/statistics/stock?asOf=2021-04-30&csvDialect=excel-be').set('Accept', 'text/csv');
      expectStatus(stock, 200);
      expect(stock.text.startsWith('\uFEFF')).toBe(true);
      const lines = stock.text.slice(1).trimEnd().split('\r\n');
      expect(lines[0]).toBe('as_of;group_by;map;by;group_code;group_name;measure;category;value;suppressed;incomplete;last_business_date;recorded_as_of');
      expect(lines).toContain('2021-04-30;none;as-recorded;registration;;;active;;9;false;false;2021-08-01;');
      // The same rows as the default dialect, field for field.
      const plain = await get('/statistics/stock?asOf=2021-04-30').set('Accept', 'text/csv');
      expect(lines).toEqual(plain.text.trimEnd().split('\r\n').map((line) => line.replaceAll(',', ';')));

      const funnel = await get('/statistics/funnel?cohort=2021-01&asOf=2021-12-31&csvDialect=excel-be').set('Accept', 'text/csv');
      expect(funnel.text.slice(1).split('\r\n')).toContain('2021-01;2021-01;2021-01;2021-12-31;;none;as-recorded;registration;;;housed;rateFromPrevious;0,875;false;true;2021-08-01;');
      // JSON is unchanged by it; an unknown dialect is refused.
      expect((await get('/statistics/stock?asOf=2021-04-30&csvDialect=excel-be')).body).toEqual((await get('/statistics/stock?asOf=2021-04-30')).body);
      expectProblem(await get('/statistics/stock?csvDialect=excel').set('Accept', 'text/csv'), 400, 'validation-failed');
    });
  });

  describe('stock over time', () => {
    it('GET /statistics/stock-over-time: the stock answer on the last day of each period, clipped to the range', async () => {
      const response = await get('/statistics/stock-over-time?from=2021-01-15&to=2021-08-15&interval=quarter&groupBy=province');
      expectStatus(response, 200);
      const { points, ...rest } = response.body;
      expect(rest).toEqual({ from: '2021-01-15', to: '2021-08-15', interval: 'quarter', groupBy: 'province', map: 'as-recorded', by: 'registration', suppressBelow: 5, lastBusinessDate: '2021-08-01', recordedAsOf: null });
      expect(points.map((point: { asOf: string }) => point.asOf)).toEqual(['2021-03-31', '2021-06-30', '2021-08-15']);
      expect(points.map((point: { incomplete: boolean }) => point.incomplete)).toEqual([false, false, true]);
      for (const point of points) {
        const stock = await get(`/statistics/stock?asOf=${point.asOf}&groupBy=province`);
        expect(point.groups).toEqual(stock.body.groups);
        expect(point.incomplete).toBe(stock.body.incomplete);
      }
    });

    it('answers CSV in the columns of the stock, one as_of per point', async () => {
      const response = await get('/statistics/stock-over-time?from=2021-03-01&to=2021-04-30&interval=month').set('Accept', 'text/csv');
      expectStatus(response, 200);
      expect(response.headers['content-disposition']).toBe('attachment; filename="stock-2021-03-01-2021-04-30-month-none.csv"');
      const lines = response.text.trimEnd().split('\r\n');
      expect(lines[0]).toBe('as_of,group_by,map,by,group_code,group_name,measure,category,value,suppressed,incomplete,last_business_date,recorded_as_of');
      expect(lines).toContain('2021-04-30,none,as-recorded,registration,,,active,,9,false,false,2021-08-01,');
      expect(lines.filter((line) => line.startsWith('2021-03-31,'))).toHaveLength(23);
      expect(lines).toHaveLength(1 + 2 * 23);
    });

    it.each([
      ['/statistics/stock-over-time?from=2021-12-31&to=2021-01-01', 'validation-failed'],
      ['/statistics/stock-over-time?from=2000-01-01&to=2026-01-01&interval=month', 'too-many-periods'],
      ['/statistics/stock-over-time?from=2021-01-01&to=2021-12-31&interval=week', 'validation-failed'],
    ])('400 for %s', async (path, type) => {
      expectProblem(await get(path), 400, type);
    });
  });

  describe('after an admin lowers the threshold', () => {
    afterAll(async () => {
      await setThreshold(5);
    });

    it('shows cells of 3 and more persons at threshold 3', async () => {
      await setThreshold(3);
      const response = await get('/statistics/stock?asOf=2021-04-30');
      expect(response.body.suppressBelow).toBe(3);
      expect(response.body.groups[0].byStage).toEqual({ registered: hidden, housed: shown(3), inburgering: hidden, vdab: hidden, employed: hidden });
    });

    it('shows every number at threshold 0, stages by business date including the late fact', async () => {
      await setThreshold(0);
      const stock = await get('/statistics/stock?asOf=2021-04-30');
      expect(stock.body.groups[0]).toMatchObject({
        active: shown(9),
        byStage: { registered: shown(2), housed: shown(3), inburgering: shown(1), vdab: shown(1), employed: shown(2) },
        byHousingType: { collective: shown(4), 'host-family': shown(2), loi: shown(1), none: shown(2) },
        everEmployed: shown(2),
        employedNow: shown(2),
      });
      // Before the backdated enrolment's date, A4 was only registered.
      const early = await get('/statistics/stock?asOf=2021-01-19');
      expect(early.body.groups[0].byStage).toEqual({ registered: shown(6), housed: shown(0), inburgering: shown(0), vdab: shown(0), employed: shown(0) });

      const flows = await get('/statistics/flows?from=2021-01-01&to=2021-12-31&interval=month');
      const monthly = flows.body.periods.map((p: { groups: Array<Record<string, unknown>> }) => p.groups[0]);
      const series = (pick: (group: Record<string, any>) => Cell) => monthly.map((group: Record<string, any>) => pick(group).value);
      expect(series((g) => g.registrations)).toEqual([8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(series((g) => g.housings)).toEqual([0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(series((g) => g.inburgeringEnrolments.total)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(series((g) => g.inburgeringEnrolments.byTrajectory.voortraject)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(series((g) => g.vdabRegistrations)).toEqual([0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(series((g) => g.employmentStarts)).toEqual([0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(series((g) => g.employmentEnds)).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
      expect(series((g) => g.departures.total)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
      expect(series((g) => g.departures.byReason['moved-abroad'])).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
      expect(series((g) => g.reopenings)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
      expect(series((g) => g.transitions.total)).toEqual([0, 0, 0, 0, 0, 1, 5, 0, 0, 0, 0, 0]);
      expect(series((g) => g.transitions.byStatus['international-protection-applied'])).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
      // Transitions are no departures: the stock stays.
      expect(series((g) => g.stockAtEnd)).toEqual([8, 9, 9, 9, 8, 8, 8, 9, 9, 9, 9, 9]);
      const december = await get('/statistics/stock?asOf=2021-12-31');
      expect(december.body.groups[0].byResidenceStatus).toEqual({
        'temporary-protection': shown(3),
        'single-permit': shown(5),
        student: shown(0),
        'family-reunification': shown(0),
        'international-protection-applied': shown(1),
        'international-protection-granted': shown(0),
        'other-national-status': shown(0),
      });
    });

    it('groups by province (Brussels has none) and by municipality', async () => {
      await setThreshold(0);
      const stock = await get('/statistics/stock?asOf=2021-04-30&groupBy=province');
      expectStatus(stock, 200);
      expect(stock.body.groups.map((g: { group: unknown; active: Cell }) => [g.group, g.active.value])).toEqual([
        [{ nis: '10000', name: 'Antwerpen' }, 6],
        [{ nis: '40000', name: 'Oost-Vlaanderen' }, 2],
        [{ nis: null, name: 'Brussels-Capital Region (no province)' }, 1],
      ]);

      const flows = await get('/statistics/flows?from=2021-01-01&to=2021-06-30&interval=quarter&groupBy=province');
      expectStatus(flows, 200);
      expect(flows.body.periods.map((p: { period: string; start: string; end: string }) => [p.period, p.start, p.end])).toEqual([
        ['2021-Q1', '2021-01-01', '2021-03-31'],
        ['2021-Q2', '2021-04-01', '2021-06-30'],
      ]);
      const q1 = flows.body.periods[0].groups;
      expect(q1.map((g: { group: { nis: string | null } }) => g.group.nis)).toEqual(['10000', '40000', null]);
      expect(q1[0]).toMatchObject({ registrations: shown(6), housings: shown(6), vdabRegistrations: shown(3), stockAtEnd: shown(6) });
      expect(q1[1]).toMatchObject({ registrations: shown(2), housings: shown(1), stockAtEnd: shown(2) });
      expect(flows.body.periods[1].groups[1]).toMatchObject({ departures: { total: shown(1) }, stockAtEnd: shown(1) });

      const byMunicipality = await get('/statistics/flows?from=2021-01-01&to=2021-12-31&interval=year&groupBy=municipality');
      expectStatus(byMunicipality, 200);
      expect(byMunicipality.body.periods[0].groups.map((g: { group: unknown; registrations: Cell }) => [g.group, g.registrations.value])).toEqual([
        [{ nis: '11002', name: 'Antwerpen' }, 6],
        [{ nis: '21004', name: 'Brussel' }, 1],
        [{ nis: '44021', name: 'Gent' }, 2],
      ]);
    });
  });

  describe('funnel and outlook', () => {
    afterAll(async () => {
      await setThreshold(5);
    });

    it('GET /statistics/funnel: a registration cohort through the steps, with rates and median days', async () => {
      const suppressed = await get('/statistics/funnel?cohort=2021-01&asOf=2021-12-31');
      expectStatus(suppressed, 200);
      expect(suppressed.body.steps[2]).toEqual({
        step: 'inburgering',
        count: hidden,
        reachedAtAll: hidden,
        rateFromPrevious: hidden,
        rateFromRegistered: hidden,
        medianDaysFromPrevious: hidden,
      });
      await setThreshold(0);
      const response = await get('/statistics/funnel?cohort=2021-01&asOf=2021-12-31');
      expectStatus(response, 200);
      expect(response.body).toMatchObject({ cohort: '2021-01', cohortFrom: '2021-01', cohortTo: '2021-01', asOf: '2021-12-31', groupBy: 'none', groups: [], suppressBelow: 0 });
      // asOf lies past the last fact recorded (2021-08-01): the answer says its figures are incomplete.
      expect(response.body).toMatchObject({ lastBusinessDate: '2021-08-01', incomplete: true });
      expect((await get('/statistics/funnel?cohort=2021-01&asOf=2021-08-01')).body.incomplete).toBe(false);
      const steps = response.body.steps as Array<Record<string, Cell | null | string>>;
      expect(steps.map((s) => s.step)).toEqual(['registered', 'housed', 'inburgering', 'vdab', 'employed']);
      // A step counts once every earlier one is reached: A1..A3 went to VDAB without inburgering.
      expect(steps.map((s) => (s.count as Cell).value)).toEqual([8, 7, 1, 0, 0]);
      expect(steps.map((s) => (s.reachedAtAll as Cell).value)).toEqual([8, 7, 1, 3, 2]);
      expect(steps.map((s) => (s.rateFromPrevious as Cell | null)?.value ?? null)).toEqual([1, 0.875, 0.143, 0, null]);
      // The first step over itself is 1, as every later step is a share of its predecessor.
      expect(steps[0]).toMatchObject({ rateFromPrevious: shown(1), rateFromRegistered: shown(1), medianDaysFromPrevious: null });
      expect(steps[1].rateFromRegistered).toEqual(shown(0.875));
      // Registered 11..16 Jan (A) and 20 Jan (G1), housed 1 Feb: 21, 20, 19, 18, 17, 16, 12 days. A4's late enrolment predates its housing: 0.
      expect(steps.map((s) => (s.medianDaysFromPrevious as Cell | null)?.value ?? null)).toEqual([null, 18, 0, null, null]);
      const csv = await get('/statistics/funnel?cohort=2021-01&asOf=2021-12-31').set('Accept', 'text/csv');
      expectStatus(csv, 200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.headers['content-disposition']).toBe('attachment; filename="funnel-2021-01-2021-12-31.csv"');
      const lines = csv.text.trimEnd().split('\r\n');
      expect(lines[0]).toBe('cohort,cohort_from,cohort_to,as_of,residence_status,group_by,map,by,group_code,group_name,step,measure,value,suppressed,incomplete,last_business_date,recorded_as_of');
      // The first step has no wait: four rows; every other step five.
      expect(lines.slice(1, 6)).toEqual([
        '2021-01,2021-01,2021-01,2021-12-31,,none,as-recorded,registration,,,registered,count,8,false,true,2021-08-01,',
        '2021-01,2021-01,2021-01,2021-12-31,,none,as-recorded,registration,,,registered,reachedAtAll,8,false,true,2021-08-01,',
        '2021-01,2021-01,2021-01,2021-12-31,,none,as-recorded,registration,,,registered,rateFromPrevious,1,false,true,2021-08-01,',
        '2021-01,2021-01,2021-01,2021-12-31,,none,as-recorded,registration,,,registered,rateFromRegistered,1,false,true,2021-08-01,',
        '2021-01,2021-01,2021-01,2021-12-31,,none,as-recorded,registration,,,housed,count,7,false,true,2021-08-01,',
      ]);
      expect(lines).toContain('2021-01,2021-01,2021-01,2021-12-31,,none,as-recorded,registration,,,housed,rateFromPrevious,0.875,false,true,2021-08-01,');
      expect(lines).toContain('2021-01,2021-01,2021-01,2021-12-31,,none,as-recorded,registration,,,housed,medianDaysFromPrevious,18,false,true,2021-08-01,');
      expect(lines).toContain('2021-01,2021-01,2021-01,2021-12-31,,none,as-recorded,registration,,,vdab,medianDaysFromPrevious,,false,true,2021-08-01,');
      expect(lines).toHaveLength(1 + 4 + 4 * 5);
      // Before the housing date nobody was housed yet.
      const early = await get('/statistics/funnel?cohort=2021-01&asOf=2021-01-31');
      expect(early.body.steps[1].count).toEqual(shown(0));
      expect(early.body.steps[2].reachedAtAll).toEqual(shown(1));
    });

    it('GET /statistics/funnel with cohortFrom/cohortTo, without a cohort, and groupBy: ranges of cohorts, every cohort, a funnel per group', async () => {
      await setThreshold(0);
      const counts = (steps: Array<{ count: Cell }>) => steps.map((s) => s.count.value);
      const month = await get('/statistics/funnel?cohort=2021-01&asOf=2021-12-31');
      const range = await get('/statistics/funnel?cohortFrom=2021-01&cohortTo=2021-01&asOf=2021-12-31');
      expectStatus(range, 200);
      expect(range.body).toMatchObject({ cohort: '2021-01', cohortFrom: '2021-01', cohortTo: '2021-01' });
      expect(range.body.steps).toEqual(month.body.steps);
      // Every cohort: the January one and the later ones together.
      const every = await get('/statistics/funnel?asOf=2021-12-31');
      expect(every.body).toMatchObject({ cohort: null, cohortFrom: null, cohortTo: null });
      const fromFebruary = await get('/statistics/funnel?cohortFrom=2021-02&asOf=2021-12-31');
      expect(fromFebruary.body).toMatchObject({ cohort: null, cohortFrom: '2021-02', cohortTo: null });
      expect(counts(every.body.steps)).toEqual(counts(month.body.steps).map((n: number | null, i: number) => n! + fromFebruary.body.steps[i].count.value));
      expect(every.body.steps[0].count.value).toBeGreaterThan(month.body.steps[0].count.value);
      // Per province of registration: the groups add up to the whole, step by step.
      const byProvince = await get('/statistics/funnel?asOf=2021-12-31&groupBy=province');
      expect(byProvince.body.groupBy).toBe('province');
      expect(byProvince.body.steps).toEqual(every.body.steps);
      expect(byProvince.body.groups.length).toBeGreaterThan(0);
      // Brussels has no province: its nis is null.
      for (const group of byProvince.body.groups) expect(group.group).toEqual({ nis: group.group.nis === null ? null : expect.any(String), name: expect.any(String) });
      const sums = byProvince.body.groups.reduce(
        (total: number[], group: { steps: Array<{ count: Cell }> }) => total.map((n, i) => n + group.steps[i].count.value!),
        [0, 0, 0, 0, 0],
      );
      expect(sums).toEqual(counts(every.body.steps));
      const csv = await get('/statistics/funnel?asOf=2021-12-31&groupBy=province').set('Accept', 'text/csv');
      expect(csv.headers['content-disposition']).toBe('attachment; filename="funnel-first-last-2021-12-31-province.csv"');
      expect(csv.text.split('\r\n').filter((line) => line.includes(',province,'))).toHaveLength(byProvince.body.groups.length * (4 + 4 * 5));
      expectProblem(await get('/statistics/funnel?cohort=2021-01&cohortFrom=2021-01'), 400, 'validation-failed');
      expectProblem(await get('/statistics/funnel?cohortFrom=2021-03&cohortTo=2021-02'), 400, 'validation-failed');
      expectProblem(await get('/statistics/funnel?cohortFrom=2021-13'), 400, 'validation-failed');
    });

    it('GET /statistics/funnel?residenceStatus=: the cohort cut by the residence status on asOf', async () => {
      await setThreshold(0);
      const permit = await get('/statistics/funnel?cohort=2021-01&asOf=2021-12-31&residenceStatus=single-permit');
      expectStatus(permit, 200);
      expect(permit.body).toMatchObject({ cohort: '2021-01', asOf: '2021-12-31', residenceStatus: 'single-permit' });
      // A1..A5: all housed; A4 enrolled; A1..A3 at VDAB without inburgering.
      expect(permit.body.steps.map((s: { count: Cell }) => s.count.value)).toEqual([5, 5, 1, 0, 0]);
      expect(permit.body.steps.map((s: { reachedAtAll: Cell }) => s.reachedAtAll.value)).toEqual([5, 5, 1, 3, 2]);
      // Before the move, the same persons were under temporary protection.
      const before = await get('/statistics/funnel?cohort=2021-01&asOf=2021-07-14&residenceStatus=single-permit');
      expect(before.body.steps[0].count).toEqual(shown(0));
      const protectedNow = await get('/statistics/funnel?cohort=2021-01&asOf=2021-12-31&residenceStatus=temporary-protection');
      // A6 and G2 (back under temporary protection since its reopening); G1 applied for international protection.
      expect(protectedNow.body.steps[0].count).toEqual(shown(2));
      const csv = await get('/statistics/funnel?cohort=2021-01&asOf=2021-12-31&residenceStatus=single-permit').set('Accept', 'text/csv');
      expect(csv.headers['content-disposition']).toBe('attachment; filename="funnel-2021-01-2021-12-31-single-permit.csv"');
      expect(csv.text.split('\r\n')[1]).toBe('2021-01,2021-01,2021-01,2021-12-31,single-permit,none,as-recorded,registration,,,registered,count,5,false,true,2021-08-01,');
      expectProblem(await get('/statistics/funnel?cohort=2021-01&residenceStatus=tourist'), 400, 'validation-failed');
    });

    it('GET /statistics/outlook: observed up to the last business date, a labelled projection beyond it', async () => {
      await setThreshold(0);
      const response = await get('/statistics/outlook?endDate=2021-04-30&endDate=2099-12-31');
      expectStatus(response, 200);
      const { lastBusinessDate, scenarios, scenario } = response.body;
      expect(scenarios).toHaveLength(2);
      expect(scenarios[0]).toMatchObject({ endDate: '2021-04-30', kind: 'observed', method: null });
      expect(scenarios[0].groups).toHaveLength(1);
      expect(scenarios[0].groups[0]).toMatchObject({
        group: null,
        active: shown(9),
        underTemporaryProtection: shown(9),
        transitioned: { total: shown(0), byStatus: { 'single-permit': shown(0) } },
        left: shown(0),
      });
      expect(scenarios[0].groups[0].byStage).toMatchObject({ employed: shown(2), registered: shown(2) });
      expect(scenarios[1]).toMatchObject({
        endDate: '2099-12-31',
        kind: 'projection',
        method: { basedOn: lastBusinessDate, description: expect.stringContaining('month by month') },
      });
      // Last fact 1 Aug 2021. In the 6 months after 1 Feb up to it: no registration, one departure (G2) over an
      // average active stock of 52/6 (9, 8, 8, 9, 9, 9 at the month ends), six moves out of temporary protection
      // (A1..A5, G1) over an average of 44/6 under it (3, 7, 7, 9, 9, 9); five of them to a single permit.
      expect(lastBusinessDate).toBe('2021-08-01');
      expect(scenario).toEqual({
        basedOn: '2021-08-01',
        window: { after: '2021-02-01', upTo: '2021-08-01', monthEnds: ['2021-08-01', '2021-07-01', '2021-06-01', '2021-05-01', '2021-04-01', '2021-03-01'] },
        arrivals: { monthly: 0, source: 'observed', observed: { events: 0, averageStock: 8.7, monthly: 0 } },
        departures: { monthly: 0.0192, source: 'observed', observed: { events: 1, averageStock: 8.7, monthly: 0.0192 } },
        transitions: { monthly: 0.1364, source: 'observed', observed: { events: 6, averageStock: 7.3, monthly: 0.1364 } },
        transitionShares: {
          shares: {
            'single-permit': 0.8333,
            student: 0,
            'family-reunification': 0,
            'international-protection-applied': 0.1667,
            'international-protection-granted': 0,
            'other-national-status': 0,
          },
          from: 'window',
        },
      });
      expect(scenarios.map((s: { endDatePassed: boolean }) => s.endDatePassed)).toEqual([true, false]);
      const csv = await get('/statistics/outlook?endDate=2021-04-30&endDate=2099-12-31').set('Accept', 'text/csv');
      expectStatus(csv, 200);
      expect(csv.headers['content-disposition']).toBe('attachment; filename="outlook-2021-04-30_2099-12-31-none.csv"');
      const lines = csv.text.trimEnd().split('\r\n');
      expect(lines[0]).toBe(
        'end_date,end_date_passed,kind,last_business_date,arrival_rate,departure_rate,transition_rate,group_by,map,by,group_code,group_name,measure,category,value,suppressed,recorded_as_of',
      );
      expect(lines).toContain('2021-04-30,true,observed,2021-08-01,,,,none,as-recorded,registration,,,active,,9,false,');
      expect(lines).toContain('2021-04-30,true,observed,2021-08-01,,,,none,as-recorded,registration,,,byStage,employed,2,false,');
      expect(lines).toContain(`2099-12-31,false,projection,2021-08-01,0,0.0192,0.1364,none,as-recorded,registration,,,left,,${scenarios[1].groups[0].left.value},false,`);
      expect(lines).toContain('2021-04-30,true,observed,2021-08-01,,,,none,as-recorded,registration,,,underTemporaryProtectionByStage,employed,2,false,');
      expect(lines).toContain('2021-04-30,true,observed,2021-08-01,,,,none,as-recorded,registration,,,transitionedByHousingType,collective,0,false,');
      // Per scenario: active, under temporary protection, transitioned (total and 6 statuses), left, 5 stages, 8 housing
      // types, and the 5 stages and 8 housing types of temporary protection and of the transitioned.
      expect(lines).toHaveLength(1 + 2 * (23 + 2 * 13));
      const byDefault = await get('/statistics/outlook');
      expectStatus(byDefault, 200);
      expect(byDefault.body.scenarios.map((s: { endDate: string }) => s.endDate)).toEqual(['2027-03-04']);
      expect(testApp.config.protectionEndDates).toEqual(['2027-03-04']);
    });

    /** The documented method, recomputed month by month from the situation on 1 Aug 2021. */
    function projected(rates: { arrivals: number; departures: number; transitions: number }, shares: Record<string, number>, endDate: string) {
      const months = (Date.parse(`${endDate}T00:00:00Z`) - Date.parse('2021-08-01T00:00:00Z')) / 86_400_000 / (365.25 / 12);
      let tp = 3; // A6, B1, G2 (back since its reopening)
      let other: Record<string, number> = { 'single-permit': 5, 'international-protection-applied': 1 };
      let left = 0;
      for (let done = 0; done < months; done++) {
        const part = Math.min(1, months - done);
        const active = tp + Object.values(other).reduce((a, b) => a + b, 0);
        const moving = rates.transitions * part * (1 - rates.departures * part) * tp;
        const next: Record<string, number> = {};
        for (const status of Object.keys(shares)) next[status] = (other[status] ?? 0) * (1 - rates.departures * part) + moving * shares[status];
        left += rates.departures * part * active;
        tp = tp + rates.arrivals * part * active - rates.departures * part * tp - moving;
        other = next;
      }
      const transitioned = Object.values(other).reduce((a, b) => a + b, 0);
      return { active: Math.round(tp + transitioned), underTemporaryProtection: Math.round(tp), left: Math.round(left), other, tp, transitioned };
    }

    it('GET /statistics/outlook: a projection follows the method it states, with the trailing rates or the analyst\'s own', async () => {
      await setThreshold(0);
      const trend = (await get('/statistics/outlook?endDate=2030-03-04')).body;
      if (trend.scenarios[0].kind !== 'projection') throw new Error('2030-03-04 is expected to lie ahead');
      const shares = trend.scenario.transitionShares.shares;
      const expected = projected({ arrivals: 0, departures: 0.0192, transitions: 0.1364 }, shares, '2030-03-04');
      expect(trend.scenarios[0].groups[0]).toMatchObject({
        active: shown(expected.active),
        underTemporaryProtection: shown(expected.underTemporaryProtection),
        left: shown(expected.left),
        transitioned: { byStatus: { 'single-permit': shown(Math.round(expected.other['single-permit'])) } },
      });

      // Each part keeps its split of 1 Aug 2021: under temporary protection A6 (housed, host family), B1 and G2
      // (registered, unhoused); transitioned A1..A5 (social rental: employed, vdab, vdab, inburgering, housed) and G1 (housed, LOI).
      const [group] = trend.scenarios[0].groups;
      const { tp, transitioned } = expected;
      expect(group.underTemporaryProtectionByStage).toEqual({
        registered: shown(Math.round((tp * 2) / 3)), housed: shown(Math.round(tp / 3)), inburgering: shown(0), vdab: shown(0), employed: shown(0),
      });
      expect(group.underTemporaryProtectionByHousingType).toMatchObject({ none: shown(Math.round((tp * 2) / 3)), 'host-family': shown(Math.round(tp / 3)), 'social-rental': shown(0) });
      expect(group.transitionedByHousingType).toMatchObject({ 'social-rental': shown(Math.round((transitioned * 5) / 6)), loi: shown(Math.round(transitioned / 6)), none: shown(0) });
      expect(group.transitionedByStage).toMatchObject({ registered: shown(0), housed: shown(Math.round((transitioned * 2) / 6)), inburgering: shown(Math.round(transitioned / 6)) });
      // The active ones by stage are the two parts added up.
      expect(group.byStage.housed).toEqual(shown(Math.round(tp / 3 + (transitioned * 2) / 6)));
      expect(trend.scenarios[0].method.description).toContain('those under temporary protection keep the split by stage and by housing type they had');

      const own = await get('/statistics/outlook?endDate=2030-03-04&transitionRate=0.02&departureRate=0&arrivalRate=0.01');
      expectStatus(own, 200);
      expect(own.body.scenario).toMatchObject({
        arrivals: { monthly: 0.01, source: 'given', observed: { monthly: 0 } },
        departures: { monthly: 0, source: 'given', observed: { monthly: 0.0192 } },
        transitions: { monthly: 0.02, source: 'given', observed: { monthly: 0.1364 } },
      });
      const mine = projected({ arrivals: 0.01, departures: 0, transitions: 0.02 }, shares, '2030-03-04');
      expect(own.body.scenarios[0].groups[0]).toMatchObject({ active: shown(mine.active), underTemporaryProtection: shown(mine.underTemporaryProtection), left: shown(0) });
      expect(own.body.scenarios[0].method.description).toContain('transitions 0.02 per month (given; observed 0.1364');

      // Per province: each group from its own situation, with the same rates.
      const provinces = (await get('/statistics/outlook?endDate=2021-07-31&groupBy=province')).body;
      expect(provinces.groupBy).toBe('province');
      expect(provinces.scenarios[0].groups.map((g: { group: { nis: string | null }; active: Cell; left: Cell }) => [g.group.nis, g.active.value, g.left.value])).toEqual([
        ['10000', 6, 0],
        ['40000', 1, 1],
        [null, 1, 0],
      ]);

      for (const bad of ['transitionRate=2', 'transitionRate=-0.1', 'departureRate=abc', 'arrivalRate=1e-2', 'groupBy=country']) {
        expectProblem(await get(`/statistics/outlook?endDate=2030-03-04&${bad}`), 400, 'validation-failed');
      }
    });

    it('GET /statistics/outlook: an end date that has passed is answered as observed, even beyond the last business date', async () => {
      await setThreshold(0);
      // After the last fact (1 Aug 2021), long past: what is recorded for that day, not a projection.
      const response = await get('/statistics/outlook?endDate=2021-09-30');
      expectStatus(response, 200);
      const [scenario] = response.body.scenarios;
      const stock = (await get('/statistics/stock?asOf=2021-09-30')).body.groups[0];
      const { 'temporary-protection': underTemporaryProtection, ...byStatus } = stock.byResidenceStatus;
      expect(scenario).toEqual({
        endDate: '2021-09-30',
        endDatePassed: true,
        kind: 'observed',
        method: null,
        groups: [
          {
            group: null,
            active: stock.active,
            underTemporaryProtection,
            transitioned: { total: shown(6), byStatus },
            left: shown(0),
            byStage: stock.byStage,
            byHousingType: stock.byHousingType,
            // A6 (housed, host family), B1 and G2 (registered, unhoused) under temporary protection; the others transitioned.
            underTemporaryProtectionByStage: { registered: shown(2), housed: shown(1), inburgering: shown(0), vdab: shown(0), employed: shown(0) },
            underTemporaryProtectionByHousingType: Object.fromEntries(
              Object.keys(stock.byHousingType).map((type) => [type, shown({ none: 2, 'host-family': 1 }[type] ?? 0)]),
            ),
            transitionedByStage: Object.fromEntries(
              Object.entries(stock.byStage as Record<string, Cell>).map(([stage, c]) => [stage, shown(c.value! - ({ registered: 2, housed: 1 }[stage] ?? 0))]),
            ),
            transitionedByHousingType: Object.fromEntries(
              Object.keys(stock.byHousingType).map((type) => [type, shown({ 'social-rental': 5, loi: 1 }[type] ?? 0)]),
            ),
          },
        ],
      });

      // At 5: every small cell hidden, and no line of a table (a total and its parts) with exactly one hidden cell.
      await setThreshold(5);
      const suppressed = (await get('/statistics/outlook?endDate=2021-09-30')).body.scenarios[0].groups[0];
      // Every part is small or (social rental: 5 transitioned, none under temporary protection) hidden beside one:
      // single permit (5) beside 1 applied and 3 under temporary protection; social rental of the active
      // ones (5) beside 1 + 1 + 2 other housing types; the 5 transitioned in social rental, as their column's
      // total is hidden. Only the 9 active (and zeros) stay shown.
      const hideAllBut = (cells: unknown): unknown =>
        'suppressed' in (cells as Cell)
          ? ((cells as Cell).value === 0 ? cells : hidden)
          : Object.fromEntries(Object.entries(cells as Record<string, unknown>).map(([key, c]) => [key, hideAllBut(c)]));
      const { group, ...numbers } = scenario.groups[0];
      expect(suppressed).toEqual({ group, ...(hideAllBut(numbers) as object), active: shown(9) });
      const counted = publishedCells(scenario.groups[0], () => 0);
      expect(outlookGivenAway(suppressed, (path) => counted.get(path)!.c.value!)).toEqual([]);
    });
  });

  describe('refuses', () => {
    it.each([
      '/statistics/stock?asOf=2024-13-01',
      '/statistics/stock?asOf=2023-02-30',
      '/statistics/stock?groupBy=city',
      '/statistics/flows?from=2021-01-01&to=2021-12-31&interval=week',
      '/statistics/flows?from=2021-01-01',
      '/statistics/flows?from=2021-12-31&to=2021-01-01',
      '/statistics/flows?from=2021-01-01&to=2021-12-31&unknown=1',
      '/statistics/funnel?cohort=2021-13',
      '/statistics/funnel?cohort=2021-01&cohortTo=2021-02',
      '/statistics/funnel?cohortFrom=2021-03&cohortTo=2021-02',
      '/statistics/funnel?groupBy=city',
      '/statistics/outlook?endDate=2026-02-30',
      '/statistics/vdab?on=2021-02-30',
      '/statistics/vdab?on=2021-12-31&from=2021-01-01&to=2021-12-31',
      '/statistics/vdab?from=2021-01-01',
      '/statistics/vdab?to=2021-01-01',
      '/statistics/vdab?from=2021-12-31&to=2021-01-01',
      '/statistics/vdab?from=2021-01-01&to=2021-12-31&interval=week',
      '/statistics/vdab?groupBy=city',
      '/statistics/vdab?groupBy=province,municipality',
      '/statistics/vdab?population=everyone',
      '/statistics/vdab?unknown=1',
    ])('400 for %s', async (path) => {
      const body = expectProblem(await get(path), 400, 'validation-failed');
      expect(body.errors).toEqual(expect.any(Array));
    });

    it('400 for more than 240 periods', async () => {
      expectProblem(await get('/statistics/flows?from=2000-01-01&to=2026-01-01&interval=month'), 400, 'too-many-periods');
    });

    it('403 for roles without access; staff and admin may read', async () => {
      const auditor = await testApp.token('auditor');
      expectProblem(await get('/statistics/stock', auditor), 403);
      expectProblem(await get('/statistics/flows?from=2021-01-01&to=2021-12-31', auditor), 403);
      expectProblem(await get('/statistics/settings', analyst), 403);
      expectProblem(await testApp.http().put('/statistics/settings').set('Authorization', `Bearer ${analyst}`).send({ suppressBelow: 0 }), 403);
      expectStatus(await get('/statistics/stock', await testApp.token('staff')), 200);
      expectStatus(await get('/statistics/stock', admin), 200);
      expectProblem(await testApp.http().get('/statistics/stock'), 401);
    });

    it('400 for a threshold outside 0..100, or anything but a JSON number (no "" or false read as 0: suppression off)', async () => {
      for (const suppressBelow of [-1, 101, 2.5, 'five', '', '  ', false, true, '5', null, [5], { value: 5 }, 1e308]) {
        const response = await testApp.http().put('/statistics/settings').set('Authorization', `Bearer ${admin}`).send({ suppressBelow });
        expectProblem(response, 400, 'validation-failed');
      }
      const settings = await get('/statistics/settings', admin);
      expectStatus(settings, 200);
      expect(settings.body.suppressBelow).toBe(5);
    });
  });

  describe('answers kept until the read model changes', () => {
    const answersFrom = async (source: 'cache' | 'computed') => {
      const metrics = await testApp.http().get('/metrics');
      return Number(new RegExp(`statistics_answers_total\\{source="${source}"\\} (\\d+)`).exec(metrics.text)?.[1] ?? 0);
    };

    it('answers the same question again without computing it, and anew once a batch or the threshold changed it', async () => {
      await waitForProjections(testApp);
      const question = '/statistics/stock?asOf=2020-09-30';
      const first = await get(question);
      expectStatus(first, 200);
      expect(first.body.groups[0].active).toEqual(shown(0));
      const [kept, computed] = [await answersFrom('cache'), await answersFrom('computed')];
      expect((await get(question)).body).toEqual(first.body);
      expect(await answersFrom('cache')).toBe(kept + 1);
      expect(await answersFrom('computed')).toBe(computed);

      // In 2020 and gone before 2021, so the suite's other figures stay as they are.
      const id = await staff.registered({ municipality: '11002', registeredOn: '2020-06-01', protection: { grantedOn: '2020-06-01' } });
      await staff.recorded(id, 'left', { on: '2020-12-31', reason: 'moved-abroad' });
      await waitForProjections(testApp);
      expect((await get(question)).body.groups[0].active).toEqual(hidden);
      await setThreshold(0);
      expect((await get(question)).body.groups[0].active).toEqual(shown(1));
      await setThreshold(5);
    });

    it('gives every caller of the reader, asked again, the very answer it computed (no Date, Map, undefined field, class or -0 lost to the kept JSON)', async () => {
      await waitForProjections(testApp);
      // A reader of its own: its first ask of each question is computed, its second kept.
      const reader = new FlowStatisticsReader(testApp.app.get(DataSource));
      const place = REGISTRATION_AS_RECORDED;
      const year = periodsBetween('2021-01-01', '2021-12-31', 'month', 12)!;
      const half = periodsBetween('2021-01-01', '2021-06-30', 'month', 6)!;
      const at = new Date().toISOString();
      const questions: Array<() => Promise<object>> = [
        () => reader.stock('2021-04-30', 'none', place),
        () => reader.stock('2021-07-31', 'province,sex', place),
        () => reader.stock('2021-07-31', 'province', place, at),
        () => reader.flows('2021-01-01', '2021-12-31', 'month', 'province', year, 'events', place),
        () => reader.flows('2021-01-10', '2021-12-20', 'month', 'none', periodsBetween('2021-01-10', '2021-12-20', 'month', 12)!, 'persons', place),
        () => reader.flows('2021-01-01', '2021-12-31', 'month', 'sex,ageBand', year, 'events', place),
        () => reader.funnel({ asOf: '2021-12-31', cohortStart: null, cohortEnd: null, residenceStatus: null, groupBy: 'none', place, recordedAsOf: null }),
        () => reader.funnel({ asOf: '2021-12-31', cohortStart: '2021-01-01', cohortEnd: '2021-01-31', residenceStatus: null, groupBy: 'province', place, recordedAsOf: null }),
        () => reader.vdab('2021-06-30', null, 'all', 'province,cohort', place),
        () => reader.vdab(half, { from: '2021-01-01', to: '2021-06-30', interval: 'month' }, 'active', 'province', place),
        () => reader.outlook(['2026-03-04'], '2021-12-31', 'province', place, {}),
        () => reader.outlook(['2026-03-04', '2027-03-04'], '2021-12-31', 'none', place, { arrivals: 0.01 }),
      ];
      for (const ask of questions) {
        const computed = await ask();
        const kept = await ask();
        expect(kept).not.toBe(computed);
        expect(kept).toStrictEqual(computed);
        expect(await ask()).toBe(kept);
      }
    });

    it('answers a question asked again (kept as its JSON text, then as the object parsed from it) as it answered it computed', async () => {
      await waitForProjections(testApp);
      for (const question of ['/statistics/flows?from=2021-01-01&to=2021-12-31&interval=quarter&groupBy=province', '/statistics/vdab?from=2021-01-01&to=2021-06-30&interval=month']) {
        const csv = (await get(question).set('Accept', 'text/csv')).text;
        const json = (await get(question)).text;
        expect(csv.split('\r\n').length).toBeGreaterThan(2);
        for (let ask = 3; ask <= 4; ask++) {
          expect((await get(question).set('Accept', 'text/csv')).text).toBe(csv);
          expect((await get(question)).text).toBe(json);
        }
      }
    });
  });
});

describeStatisticsProperty();
