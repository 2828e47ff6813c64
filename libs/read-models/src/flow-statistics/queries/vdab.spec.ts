import { randomUUID } from 'node:crypto';
import type { DossierEvent } from '@app/domain';
import { registered } from '@app/domain/testing';
import { openFlowStatisticsDatabase, type FlowStatisticsDatabase } from '../../testing/flow-statistics-database';
import { readVdabGroupBy, vdabOn, vdabPoint, type VdabTally } from './vdab';

const shown = (value: number | null) => ({ value, suppressed: false });
/** A registration of a person born on `birthDate`. */
const bornOn = (event: DossierEvent, birthDate: string): DossierEvent =>
  event.type === 'DossierRegistered' ? { ...event, data: { ...event.data, personal: { ...event.data.personal, birthDate } } } : event;
const hidden = { value: null, suppressed: true };

describe('VDAB pair (vdab.ts)', () => {
  describe('vdabPoint: cells, shares and suppression', () => {
    const tally = (grp: string | null, cohort: string | null, registered: number, ever: number, now: number, sex: string | null = null, band: string | null = null): Omit<VdabTally, 'day'> => ({
      grp,
      grp_sex: sex,
      grp_band: band,
      cohort,
      registered,
      ever,
      now,
    });

    it('gives the shares of the population, three decimals, and null over nobody', () => {
      expect(vdabPoint('2024-12-31', [tally(null, null, 19124, 10072, 6678)], 'none', 5)).toEqual({
        on: '2024-12-31',
        total: {
          registeredAtVdab: shown(19124),
          everEmployed: shown(10072),
          employedNow: shown(6678),
          everEmployedShare: shown(0.527),
          employedNowShare: shown(0.349),
        },
        groups: [],
      });
      expect(vdabPoint('2024-12-31', [], 'none', 5).total).toEqual({
        registeredAtVdab: shown(0),
        everEmployed: shown(0),
        employedNow: shown(0),
        everEmployedShare: shown(null),
        employedNowShare: shown(null),
      });
    });

    it('suppresses small counts and the shares they enter; a group is hidden with another so that it cannot be worked out from the total', () => {
      const point = vdabPoint('2024-12-31', [tally('10000', null, 20, 9, 3), tally('40000', null, 12, 6, 4), tally(null, null, 6, 0, 0)], 'province', 5);
      // employedNow: 7 in all; 3 and 4 are small, and together 7 >= 5: the total stays shown.
      expect(point.total).toEqual({
        registeredAtVdab: shown(38),
        everEmployed: shown(15),
        employedNow: shown(7),
        everEmployedShare: shown(0.395),
        employedNowShare: shown(0.184),
      });
      expect(point.groups.map((g) => g.group)).toEqual([
        { nis: '10000', name: 'Antwerpen' },
        { nis: '40000', name: 'Oost-Vlaanderen' },
        { nis: null, name: 'Brussels-Capital Region (no province)' },
      ]);
      expect(point.groups[0]).toMatchObject({ registeredAtVdab: shown(20), everEmployed: shown(9), employedNow: hidden, everEmployedShare: shown(0.45), employedNowShare: hidden });
      expect(point.groups[2]).toMatchObject({ registeredAtVdab: shown(6), everEmployed: shown(0), employedNow: shown(0), employedNowShare: shown(0) });

      // One small group alone would be the total minus the others: the next-smallest group is hidden with it.
      const one = vdabPoint('2024-12-31', [tally('10000', null, 20, 9, 8), tally('40000', null, 12, 6, 2), tally(null, null, 6, 0, 0)], 'province', 5);
      expect(one.total.employedNow).toEqual(shown(10));
      expect(one.groups.map((g) => g.employedNow)).toEqual([hidden, hidden, shown(0)]);
      expect(one.groups.map((g) => g.employedNowShare)).toEqual([hidden, hidden, shown(0)]);
    });

    it('names a group by its place and cohort, in the order of places and then cohorts', () => {
      const point = vdabPoint('2024-12-31', [tally('71022', '2023', 7, 5, 5), tally('71022', '2022', 9, 6, 5), tally('11002', '2024', 5, 0, 0)], 'municipality,cohort', 0);
      expect(point.groups.map((g) => g.group)).toEqual([
        { nis: '11002', name: 'Antwerpen', cohort: '2024' },
        { nis: '71022', name: 'Hasselt (71022, until 2024)', cohort: '2022' },
        { nis: '71022', name: 'Hasselt (71022, until 2024)', cohort: '2023' },
      ]);
      expect(vdabPoint('2024-12-31', [tally(null, '2022', 1, 1, 1)], 'cohort', 0).groups[0].group).toEqual({ cohort: '2022' });
    });

    it('names a group by sex and age band as every statistic, then cohort, in the order of places, sexes, age bands and cohorts', () => {
      const point = vdabPoint(
        '2024-12-31',
        [tally('40000', '2023', 4, 2, 1, 'male', '25-44'), tally('40000', '2022', 3, 1, 1, 'female', '65+'), tally('40000', '2022', 2, 1, 0, 'female', '18-24'), tally(null, '2022', 1, 0, 0, 'unknown', 'unknown')],
        'province,sex,ageBand,cohort',
        0,
      );
      expect(point.groups.map((g) => g.group)).toEqual([
        { nis: '40000', name: 'Oost-Vlaanderen', sex: 'female', ageBand: '18-24', cohort: '2022' },
        { nis: '40000', name: 'Oost-Vlaanderen', sex: 'female', ageBand: '65+', cohort: '2022' },
        { nis: '40000', name: 'Oost-Vlaanderen', sex: 'male', ageBand: '25-44', cohort: '2023' },
        { nis: null, name: 'Brussels-Capital Region (no province)', sex: 'unknown', ageBand: 'unknown', cohort: '2022' },
      ]);
      expect(point.total.registeredAtVdab).toEqual(shown(10));
      expect(vdabPoint('2024-12-31', [tally(null, null, 3, 1, 1, null, '45-64')], 'ageBand', 0).groups[0].group).toEqual({ ageBand: '45-64' });
    });
  });

  describe('readVdabGroupBy: every statistic\'s groupBy and cohort', () => {
    it('reads any combination into the order answers repeat, the ones VDAB took before unchanged', () => {
      for (const groupBy of ['none', 'province', 'municipality', 'cohort', 'province,cohort', 'municipality,cohort']) expect(readVdabGroupBy(groupBy)).toEqual({ groupBy });
      expect(readVdabGroupBy('cohort,province')).toEqual({ groupBy: 'province,cohort' });
      expect(readVdabGroupBy('cohort,ageBand')).toEqual({ groupBy: 'ageBand,cohort' });
      expect(readVdabGroupBy('sex,cohort,municipality,ageBand')).toEqual({ groupBy: 'municipality,sex,ageBand,cohort' });
    });

    it('names the rule a list breaks, as every statistic does', () => {
      expect(readVdabGroupBy('province,municipality')).toEqual({ error: 'groupBy takes at most one place: province or municipality' });
      expect(readVdabGroupBy('cohort,cohort')).toEqual({ error: 'groupBy names a dimension once' });
      expect(readVdabGroupBy('none,cohort')).toEqual({ error: 'groupBy none stands alone' });
      expect(readVdabGroupBy('year')).toEqual({ error: 'groupBy lists none, or dimensions of province, municipality, sex, ageBand, cohort; not "year"' });
    });
  });

  describe('vdabOn over the read model (real PostgreSQL)', () => {
    let database: FlowStatisticsDatabase;
    beforeAll(async () => (database = await openFlowStatisticsDatabase()));
    afterAll(() => database?.close());

    it('counts everyone registered at VDAB by the date, the gone included; a job ends with EmploymentEnded or a departure; late facts count from their date', async () => {
      const [working, ended, gone, late, notYet, elsewhere] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await database.apply([
        [working, 1, bornOn(registered(working, '11002', '2022-03-10'), '2004-12-31')],
        [working, 2, { type: 'VdabRegistered', data: { on: '2022-05-01' } }],
        [working, 3, { type: 'EmploymentStarted', data: { on: '2022-06-01' } }],
        [ended, 1, registered(ended, '11002', '2022-03-10')],
        [ended, 2, { type: 'VdabRegistered', data: { on: '2022-05-01' } }],
        [ended, 3, { type: 'EmploymentStarted', data: { on: '2022-06-01' } }],
        [ended, 4, { type: 'EmploymentEnded', data: { on: '2022-09-30', startedOn: '2022-06-01' } }],
        [gone, 1, registered(gone, '44021', '2022-03-10')],
        [gone, 2, { type: 'VdabRegistered', data: { on: '2022-04-01' } }],
        [gone, 3, { type: 'EmploymentStarted', data: { on: '2022-06-01' } }],
        [gone, 4, { type: 'PersonLeft', data: { on: '2022-11-01', reason: 'returned-to-ukraine' } }],
        // Registered at VDAB and employed, both recorded after a housing dated later.
        [late, 1, registered(late, '44021', '2022-03-10')],
        [late, 2, { type: 'PersonHoused', data: { housingType: 'loi', municipality: '44021', on: '2022-12-01' } }],
        [notYet, 1, registered(notYet, '11002', '2022-03-10')],
        [notYet, 2, { type: 'VdabRegistered', data: { on: '2023-02-01' } }],
        [elsewhere, 1, registered(elsewhere, '11002', '2022-03-10')],
      ]);
      await database.apply([
        [late, 3, { type: 'VdabRegistered', data: { on: '2022-07-01' } }],
        [late, 4, { type: 'EmploymentStarted', data: { on: '2022-08-01' } }],
      ]);
      const counts = async (on: string, population: 'all' | 'active' = 'all') => {
        const { points } = (await vdabOn(database.dataSource, [on], population, 'province,cohort')).view;
        const { total, groups } = points[0];
        return {
          total: [total.registeredAtVdab.value, total.everEmployed.value, total.employedNow.value],
          groups: groups.map((g) => [g.group.nis, g.group.cohort, g.registeredAtVdab.value, g.everEmployed.value, g.employedNow.value]),
        };
      };
      expect(await counts('2022-07-15')).toEqual({
        total: [4, 3, 3],
        groups: [
          ['10000', '2022', 2, 2, 2],
          ['40000', '2022', 2, 1, 1],
        ],
      });
      expect(await counts('2022-12-31')).toEqual({
        total: [4, 4, 2],
        groups: [
          ['10000', '2022', 2, 2, 1],
          ['40000', '2022', 2, 2, 1],
        ],
      });
      expect(await counts('2022-12-31', 'active')).toEqual({ total: [3, 3, 2], groups: [['10000', '2022', 2, 2, 1], ['40000', '2022', 1, 1, 1]] });
      expect((await counts('2023-02-01')).groups).toContainEqual(['10000', '2023', 1, 0, 0]);
      // Points of a series are the dates' answers.
      const { points } = (await vdabOn(database.dataSource, ['2022-03-31', '2022-12-31'], 'all', 'none')).view;
      expect(points.map((p) => [p.on, p.total.registeredAtVdab.value, p.groups.length])).toEqual([
        ['2022-03-31', 0, 0],
        ['2022-12-31', 4, 0],
      ]);
      // By sex and age band on each day of one question: `working` (born 2004-12-31) turns 18 on the second; the others are 37.
      const byPerson = (await vdabOn(database.dataSource, ['2022-07-15', '2022-12-31'], 'all', 'sex,ageBand')).view.points;
      expect(byPerson.map((p) => [p.on, p.groups.map((g) => [g.group.sex, g.group.ageBand, g.registeredAtVdab.value, g.everEmployed.value, g.employedNow.value])])).toEqual([
        ['2022-07-15', [['female', '0-17', 1, 1, 1], ['female', '25-44', 3, 2, 2]]],
        ['2022-12-31', [['female', '18-24', 1, 1, 1], ['female', '25-44', 3, 3, 1]]],
      ]);
    });
  });
});
