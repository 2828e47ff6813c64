import { randomUUID } from 'node:crypto';
import { registered } from '@app/domain/testing';
import { openFlowStatisticsDatabase, type FlowStatisticsDatabase } from '../../testing/flow-statistics-database';
import { funnelOf } from './funnel';
import { REGISTRATION_AS_RECORDED } from './place';
import { revisionsOf } from './revisions';

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
});
