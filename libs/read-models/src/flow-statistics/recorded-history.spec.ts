import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { historyArbitrary, historyOf } from '../testing/generated-histories';
import { statEventOf } from './flow-statistics.projection';
import { recordedHistory, type RecordedStatEvent } from './recorded-history';
import { situationTimeline, type Attribution, type SituationPeriod } from './situation';

type Row = Array<string | number | boolean | null>;

/**
 * The rows on both axes by the rule itself, naively: at each recording moment the timeline folded
 * from scratch from every event recorded by then, each of its periods and attributions compared
 * as a whole value with the open row of the moment before (by first day; by version); one that
 * differs, or is gone, closed at that moment, a new one opened.
 */
function wholeTimelinesCompared(events: readonly RecordedStatEvent[]): { periods: Row[]; events: Row[] } {
  const moments = [...new Set(events.map((event) => event.recordedAt))].sort();
  const periods: Array<{ period: SituationPeriod; recordedFrom: string; recordedTo: string | null }> = [];
  const places: Array<{ where: Attribution; recordedFrom: string; recordedTo: string | null }> = [];
  const openPeriods = new Map<string, (typeof periods)[number]>();
  const openPlaces = new Map<number, (typeof places)[number]>();
  for (const moment of moments) {
    const timeline = situationTimeline(events.filter((event) => event.recordedAt <= moment));
    const now = new Map(timeline.periods.map((period) => [period.validFrom, period]));
    for (const [validFrom, open] of openPeriods) {
      if (isDeepStrictEqual(now.get(validFrom), open.period)) {
        now.delete(validFrom);
        continue;
      }
      open.recordedTo = moment;
      openPeriods.delete(validFrom);
    }
    for (const [validFrom, period] of now) {
      const version = { period: { ...period }, recordedFrom: moment, recordedTo: null };
      openPeriods.set(validFrom, version);
      periods.push(version);
    }
    for (const where of timeline.attributions) {
      const open = openPlaces.get(where.version);
      if (open && isDeepStrictEqual(open.where, where)) continue;
      if (open) open.recordedTo = moment;
      const version = { where: { ...where }, recordedFrom: moment, recordedTo: null };
      openPlaces.set(where.version, version);
      places.push(version);
    }
  }
  return {
    periods: periods.map(({ period, recordedFrom, recordedTo }) => [...Object.values(period), recordedFrom, recordedTo]),
    events: places.map(({ where, recordedFrom, recordedTo }) => [...Object.values(where), recordedFrom, recordedTo]),
  };
}

/** Rows in a total order (each row's values as JSON). */
const sorted = (rows: Row[]) => rows.map((row) => JSON.stringify(row)).sort();

/**
 * recordedHistory compares each moment's timeline with the one before only from where the fold
 * resumed (SituationFold.unchangedBefore), keeps the fold's period objects with their own end, and
 * takes the timeline now from the fold: its rows must be those of the rule stated naively
 * (whole timelines folded from scratch and compared whole), on generated histories recorded in
 * stream order or with late events, one or several at a moment, many on one date.
 */
describe('recordedHistory', () => {
  it('writes the rows of whole timelines folded from scratch and compared whole at each recording moment, and its timeline now is the last one', () => {
    fc.assert(
      fc.property(historyArbitrary, fc.array(fc.nat(), { minLength: 20, maxLength: 20 }), fc.boolean(), fc.boolean(), (history, random, late, sameDays) => {
        const dossierId = randomUUID();
        const kept = historyOf(dossierId, history)
          .events.map((event, index) => statEventOf(dossierId, index + 1, event))
          .filter((event) => event !== undefined);
        const dates = [...new Set(kept.map((event) => event.occurredOn))].sort();
        if (sameDays) for (const event of kept) event.occurredOn = dates[dates.indexOf(event.occurredOn) & ~1];
        // A moment per event or per few, in stream order; or drawn, so that some are recorded after later ones (late).
        const events: RecordedStatEvent[] = kept.map((event, index) => {
          const moment = late ? random[index % random.length] % 9 : Math.floor(index / (1 + (random[index % random.length] % 3)));
          return { ...event, recordedAt: new Date(Date.UTC(2024, 0, 1) + moment * 1000).toISOString() };
        });
        const history_ = recordedHistory(events);
        const expected = wholeTimelinesCompared(events);
        expect(sorted(history_.periods.map(({ period, validTo, recordedFrom, recordedTo }) => [...Object.values({ ...period, validTo }), recordedFrom, recordedTo]))).toEqual(
          sorted(expected.periods),
        );
        expect(sorted(history_.events.map(({ event, where, recordedFrom, recordedTo }) => {
          expect(event.version).toBe(where.version);
          return [...Object.values(where), recordedFrom, recordedTo];
        }))).toEqual(sorted(expected.events));
        const now = situationTimeline(events);
        expect(structuredClone({ periods: history_.now.periods, attributions: history_.now.attributions })).toEqual(now);
        expect(history_.now.events.map((event) => event.version)).toEqual(now.attributions.map((where) => where.version));
      }),
      { numRuns: 300 },
    );
  });

  it('closes the version of a period whose end moves when events of its next date recorded later bring the situation back (the period before where the fold resumed)', () => {
    const dossierId = randomUUID();
    const none = { dossierId, eventMunicipality: null, housingType: null, reason: null, trajectory: null, residenceStatus: null, previousResidenceStatus: null };
    const at = (second: number) => new Date(Date.UTC(2024, 0, 1) + second * 1000).toISOString();
    // Left on 1 February (recorded at 1 s), reopened the same day where registered (at 2 s): the first period is open again from 2 s.
    const events: RecordedStatEvent[] = [
      { ...none, version: 1, type: 'DossierRegistered', occurredOn: '2023-01-10', eventMunicipality: '11002', recordedAt: at(0) },
      { ...none, version: 2, type: 'PersonLeft', occurredOn: '2023-02-01', reason: 'moved-within-belgium', recordedAt: at(1) },
      { ...none, version: 3, type: 'DossierReopened', occurredOn: '2023-02-01', eventMunicipality: '11002', recordedAt: at(2) },
    ];
    const history = recordedHistory(events);
    expect(sorted(history.periods.map(({ period, validTo, recordedFrom, recordedTo }) => [...Object.values({ ...period, validTo }), recordedFrom, recordedTo]))).toEqual(
      sorted(wholeTimelinesCompared(events).periods),
    );
    expect(history.periods.map(({ period, validTo, recordedTo }) => [period.validFrom, validTo, recordedTo])).toEqual([
      ['2023-01-10', null, '2024-01-01T00:00:01.000Z'],
      ['2023-01-10', '2023-02-01', '2024-01-01T00:00:02.000Z'],
      ['2023-02-01', null, '2024-01-01T00:00:02.000Z'],
      ['2023-01-10', null, null],
    ]);
  });
});
