import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { historyArbitrary, historyOf } from '../testing/generated-histories';
import { statEventOf } from './flow-statistics.projection';
import { SituationFold, situationTimeline, type StatEvent } from './situation';

/**
 * recordedHistory folds a dossier's events a moment at a time (SituationFold): after each add the
 * timeline must be the one folded from scratch from every event added so far, whether the new
 * events go after those folded (the fold resumes at its last date) or before some (recorded late:
 * it folds them all again), several at a moment or one.
 */
describe('SituationFold', () => {
  it('gives, after each add, the timeline folded from scratch from every event added so far', () => {
    fc.assert(
      fc.property(historyArbitrary, fc.array(fc.nat(), { minLength: 20, maxLength: 20 }), fc.boolean(), fc.boolean(), (history, random, shuffled, sameDays) => {
        const dossierId = randomUUID();
        const events = historyOf(dossierId, history)
          .events.map((event, index) => statEventOf(dossierId, index + 1, event))
          .filter((event): event is StatEvent => event !== undefined);
        // Many events on one date (each pair of dates made one), whose period a later add of the same date changes.
        const dates = [...new Set(events.map((event) => event.occurredOn))].sort();
        if (sameDays) for (const event of events) event.occurredOn = dates[dates.indexOf(event.occurredOn) & ~1];
        // In stream order (as most are recorded), or in an order drawn (late and out-of-order recordings).
        const recorded = shuffled ? [...events].sort((a, b) => (random[a.version % random.length] % 7) - (random[b.version % random.length] % 7)) : events;
        const fold = new SituationFold();
        for (let start = 0, turn = 0; start < recorded.length; turn++) {
          const end = start + 1 + (random[turn % random.length] % 3);
          fold.add(recorded.slice(start, end));
          // A copy: the fold's own lists change with its next add.
          expect(structuredClone(fold.timeline())).toEqual(situationTimeline(recorded.slice(0, end)));
          start = end;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reopens the period of a date that events of the same date added later bring back to the situation before it', () => {
    const dossierId = randomUUID();
    const event = (version: number, type: StatEvent['type'], occurredOn: string, eventMunicipality: string | null = null): StatEvent => ({
      dossierId,
      version,
      type,
      occurredOn,
      eventMunicipality,
      housingType: null,
      reason: type === 'PersonLeft' ? 'moved-within-belgium' : null,
      trajectory: null,
      residenceStatus: null,
      previousResidenceStatus: null,
    });
    const events = [event(1, 'DossierRegistered', '2023-01-10', '11002'), event(2, 'PersonLeft', '2023-02-01'), event(3, 'DossierReopened', '2023-02-01', '11002')];
    const fold = new SituationFold();
    fold.add(events.slice(0, 1));
    fold.add(events.slice(1, 2));
    expect(fold.timeline().periods.map((p) => [p.validFrom, p.validTo, p.active])).toEqual([
      ['2023-01-10', '2023-02-01', true],
      ['2023-02-01', null, false],
    ]);
    // Reopened the same day, where the person was registered: the day's situation is the one before it, so one period again, open.
    fold.add(events.slice(2));
    expect(structuredClone(fold.timeline())).toEqual(situationTimeline(events));
    expect(fold.timeline().periods.map((p) => [p.validFrom, p.validTo, p.active])).toEqual([['2023-01-10', null, true]]);
  });
});
