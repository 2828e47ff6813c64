import { randomUUID } from 'node:crypto';
import { AS_RECORDED } from '@app/domain';
import { registered } from '@app/domain/testing';
import { openFlowStatisticsDatabase, type FlowStatisticsDatabase } from '../../testing/flow-statistics-database';
import { funnelOf } from './funnel';
import { REGISTRATION_AS_RECORDED } from './place';
import { revisionsOf } from './revisions';
import { stockOn } from './stock';

describe('revisionsOf over the read model (real PostgreSQL)', () => {
  let database: FlowStatisticsDatabase;
  beforeAll(async () => (database = await openFlowStatisticsDatabase()));
  afterAll(() => database?.close());

  /** A moment after everything recorded so far, and before anything recorded next. */
  const momentAfter = async () => {
    await new Promise((resolve) => setTimeout(resolve, 3));
    const moment = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 3));
    return moment;
  };

  it("puts a funnel cell's late events on the dossiers of its group as the funnel groups them: the province of the registration, wherever a reopening took the dossier", async () => {
    const [moved, stayed] = [randomUUID(), randomUUID()];
    // Registered in Oost-Vlaanderen, gone, back in Antwerpen; another registered in Antwerpen.
    await database.apply([
      [moved, 1, registered(moved, '44021', '2022-03-10')],
      [stayed, 1, registered(stayed, '11002', '2022-03-10')],
      [moved, 2, { type: 'PersonLeft', data: { on: '2022-05-01', reason: 'moved-within-belgium' } }],
      [moved, 3, { type: 'DossierReopened', data: { on: '2022-06-01', municipality: '11002' } }],
    ]);
    const from = await momentAfter();
    // Recorded late: housed in Oost-Vlaanderen before the departure.
    await database.apply([[moved, 4, { type: 'PersonHoused', data: { housingType: 'loi', municipality: '44021', on: '2022-04-01' } }]]);
    const to = await momentAfter();

    const funnelAt = async (at: string) => (await funnelOf(database.dataSource, { asOf: '2022-12-31', cohortStart: null, cohortEnd: null, residenceStatus: null, groupBy: 'province', place: REGISTRATION_AS_RECORDED, recordedAsOf: at })).view;
    const answers = { before: await funnelAt(from), after: await funnelAt(to), suppressBelow: 0 };
    const { changes, lateEvents } = await revisionsOf(database.dataSource, 'funnel', from, to, 'province', REGISTRATION_AS_RECORDED, answers);
    const housed = changes.filter(({ cell }) => cell.step === 'housed' && cell.series === 'count');
    expect(housed.map(({ cell, before, after, lateEvents: late }) => [(cell.group as { nis: string } | null)?.nis ?? 'whole cohort', before.value, after.value, late.value])).toEqual([
      ['whole cohort', 0, 1, 1],
      ['40000', 0, 1, 1],
    ]);
    // Antwerpen's funnel (where the dossier is on asOf, but not where it registered) did not change and has no late events to show.
    expect(changes.filter(({ cell }) => (cell.group as { nis: string } | null)?.nis === '10000')).toEqual([]);
    expect(lateEvents).toEqual({ value: 1, suppressed: false });
  });

  it('puts the late events of the persons not housed (by housing) behind their own group, not behind Brussels, which has no province code either', async () => {
    const [waiting, inBrussels, lateWaiting, lateInBrussels] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await database.apply([
      [waiting, 1, registered(waiting, '11002', '2021-03-10')],
      [inBrussels, 1, registered(inBrussels, '21004', '2021-03-10')],
      [inBrussels, 2, { type: 'PersonHoused', data: { housingType: 'loi', municipality: '21004', on: '2021-03-20' } }],
    ]);
    const from = await momentAfter();
    // Recorded late: one more person not housed (one event), one more housed in Brussels (two).
    await database.apply([
      [lateWaiting, 1, registered(lateWaiting, '11002', '2021-04-01')],
      [lateInBrussels, 1, registered(lateInBrussels, '21004', '2021-04-01')],
      [lateInBrussels, 2, { type: 'PersonHoused', data: { housingType: 'loi', municipality: '21004', on: '2021-04-02' } }],
    ]);
    const to = await momentAfter();

    const byHousing = { map: AS_RECORDED, by: 'housing' as const };
    const stockAt = async (at: string) => (await stockOn(database.dataSource, '2021-06-30', 'province', byHousing, at)).view;
    const answers = { before: await stockAt(from), after: await stockAt(to), suppressBelow: 0 };
    const { changes } = await revisionsOf(database.dataSource, 'stock', from, to, 'province', byHousing, answers);
    const active = changes.filter(({ cell }) => cell.series === 'active');
    expect(active.map(({ cell, before, after, lateEvents }) => [(cell.group as { name: string }).name, before.value, after.value, lateEvents.value])).toEqual([
      ['Not housed', 1, 2, 1],
      ['Brussels-Capital Region (no province)', 1, 2, 2],
    ]);
  });
});
