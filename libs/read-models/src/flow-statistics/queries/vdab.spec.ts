import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { DossierEvent } from '@app/domain';
import { recordedDossierEvent, registered } from '@app/domain/testing';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import type { ProjectionContext } from '@app/projection-engine';
import { PERSONAL_DATA_MIGRATIONS, PersonalDataProtection } from '@app/personal-data';
import { READ_MODEL_MIGRATIONS } from '../../schema';
import { flowStatisticsProjection } from '../flow-statistics.projection';
import { vdabOn, vdabPoint, type VdabTally } from './vdab';

const shown = (value: number | null) => ({ value, suppressed: false });
const hidden = { value: null, suppressed: true };

describe('VDAB pair (vdab.ts)', () => {
  describe('vdabPoint: cells, shares and suppression', () => {
    const tally = (grp: string | null, cohort: string | null, registered: number, ever: number, now: number): Omit<VdabTally, 'day'> => ({ grp, cohort, registered, ever, now });

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
  });

  describe('vdabOn over the read model (real PostgreSQL)', () => {
    let database: Awaited<ReturnType<typeof openReadModelDatabase>>;
    let dataSource: DataSource;
    let context: ProjectionContext;
    const projection = flowStatisticsProjection(PersonalDataProtection.withMasterSecret(randomBytes(48)));

    beforeAll(async () => {
      database = await openReadModelDatabase([...READ_MODEL_MIGRATIONS, ...PERSONAL_DATA_MIGRATIONS]);
      ({ dataSource, context } = database);
      await dataSource.query('UPDATE read_models.statistics_settings SET suppress_below = 0');
    });

    afterAll(async () => {
      await database?.close();
    });

    /** Applies each dossier's events, one batch per call, in the order given (the log's order). */
    const apply = async (batches: Array<[dossierId: string, version: number, event: DossierEvent]>) => {
      await projection.apply(
        batches.map(([id, version, event]) => recordedDossierEvent(id, version, event)),
        context,
      );
    };

    it('counts everyone registered at VDAB by the date, the gone included; a job ends with EmploymentEnded or a departure; late facts count from their date', async () => {
      const [working, ended, gone, late, notYet, elsewhere] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await apply([
        [working, 1, registered(working, '11002', '2022-03-10')],
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
      await apply([
        [late, 3, { type: 'VdabRegistered', data: { on: '2022-07-01' } }],
        [late, 4, { type: 'EmploymentStarted', data: { on: '2022-08-01' } }],
      ]);
      const counts = async (on: string, population: 'all' | 'active' = 'all') => {
        const { points } = await vdabOn(dataSource, [on], population, 'province,cohort');
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
      const { points } = await vdabOn(dataSource, ['2022-03-31', '2022-12-31'], 'all', 'none');
      expect(points.map((p) => [p.on, p.total.registeredAtVdab.value, p.groups.length])).toEqual([
        ['2022-03-31', 0, 0],
        ['2022-12-31', 4, 0],
      ]);
    });
  });
});
