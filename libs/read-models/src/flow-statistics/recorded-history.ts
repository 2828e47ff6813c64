import { defaultMunicipalityDirectory, type IsoDate, type MunicipalityDirectory } from '@app/domain';
import { sameSituation, SituationFold, type Attribution, type SituationPeriod, type StatEvent } from './situation';

/** A kept event and the moment the event store recorded it (RecordedEvent.createdAt, UTC ISO with milliseconds). */
export type RecordedStatEvent = StatEvent & { recordedAt: string };

/**
 * When a row held on the recording axis: from the moment recordedFrom (inclusive) to recordedTo
 * (exclusive; null: still). The rows of a dossier valid at a moment T are its timeline as folded
 * from exactly its events recorded by T.
 */
export interface Recording {
  recordedFrom: string;
  recordedTo: string | null;
}

/**
 * A period of the timeline over the recording moments it held: `period` is the fold's own object,
 * whose every value but validTo stays as it is (SituationFold), and `validTo` the period's end in
 * this version (the fold moves the object's on as later moments change it).
 */
export interface PeriodVersion extends Recording {
  period: SituationPeriod;
  validTo: IsoDate | null;
}
/** A kept event with where it counts (the fold's attribution, never changed once made), from one recording moment to the next at which that changed. */
export interface EventVersion extends Recording {
  event: RecordedStatEvent;
  where: Attribution;
}

/** A dossier's rows on both axes, and its timeline now (the rows whose recordedTo is null, as the fold gives them). */
export interface RecordedHistory {
  periods: PeriodVersion[];
  events: EventVersion[];
  now: {
    periods: readonly SituationPeriod[];
    /** Every kept event in business order, and where each counts now (attributions[i] is events[i]'s). */
    events: readonly RecordedStatEvent[];
    attributions: readonly Attribution[];
  };
}

/** Whether an event counts in the same places by both attributions. */
const samePlaces = (a: Attribution, b: Attribution) =>
  a.municipality === b.municipality && a.provinceNis === b.provinceNis && a.housingMunicipality === b.housingMunicipality && a.housingProvinceNis === b.housingProvinceNis;

/**
 * A dossier's timeline at every moment one of its events was recorded, as rows on both axes.
 * At each recording moment (in order) the events recorded by then are folded (situationTimeline)
 * and compared with the timeline of the moment before: a period or an event's place that is no
 * longer there is closed at that moment, a new one opens. So a late event recorded on 3 May
 * changes the rows from 3 May on and leaves what was answered on 2 May as it was. A pure
 * function of the events and their recording moments, whatever order or batches they came in:
 * the live path and the rebuild write the same rows.
 *
 * The timeline of a moment is the one before with that moment's events folded in (SituationFold),
 * which leaves the periods and attributions before where it resumed as they were: only those
 * from there are compared (all of them after a late event, which folds every event again).
 * recorded-history.spec.ts holds the rows equal to those of a comparison of whole timelines.
 */
export function recordedHistory(
  events: readonly RecordedStatEvent[],
  directory: MunicipalityDirectory = defaultMunicipalityDirectory,
): RecordedHistory {
  // In recording order, so that the events recorded by a moment are a prefix (situationTimeline orders them itself).
  const byRecording = [...events].sort((a, b) => (a.recordedAt < b.recordedAt ? -1 : a.recordedAt > b.recordedAt ? 1 : 0));
  const periods: PeriodVersion[] = [];
  const places: EventVersion[] = [];
  // The open version of each period of the timeline before, in its order (by first day: a timeline's periods start on distinct days).
  const openPeriods: PeriodVersion[] = [];
  const openPlaces = new Map<number, EventVersion>();
  const fold = new SituationFold<RecordedStatEvent>(directory);
  let recorded = 0;
  while (recorded < byRecording.length) {
    const moment = byRecording[recorded].recordedAt;
    const from = recorded;
    while (recorded < byRecording.length && byRecording[recorded].recordedAt === moment) recorded++;
    fold.add(byRecording.slice(from, recorded));
    const timeline = fold.timeline();
    const unchanged = fold.unchangedBefore();
    // The open versions from there on, against the periods from there on: both in order of their first days.
    const before = openPeriods.splice(unchanged.periods);
    let next = 0;
    for (let i = unchanged.periods; i < timeline.periods.length; i++) {
      const period = timeline.periods[i];
      while (next < before.length && before[next].period.validFrom < period.validFrom) before[next++].recordedTo = moment;
      const open = next < before.length && before[next].period.validFrom === period.validFrom ? before[next++] : undefined;
      if (open && open.validTo === period.validTo && (open.period === period || sameSituation(open.period, period))) {
        openPeriods.push(open);
        continue;
      }
      if (open) open.recordedTo = moment;
      const version: PeriodVersion = { period, validTo: period.validTo, recordedFrom: moment, recordedTo: null };
      openPeriods.push(version);
      periods.push(version);
    }
    while (next < before.length) before[next++].recordedTo = moment;
    const ordered = fold.events();
    for (let i = unchanged.attributions; i < timeline.attributions.length; i++) {
      const where = timeline.attributions[i];
      const open = openPlaces.get(where.version);
      if (open && samePlaces(open.where, where)) continue;
      if (open) open.recordedTo = moment;
      const place: EventVersion = { event: ordered[i], where, recordedFrom: moment, recordedTo: null };
      openPlaces.set(where.version, place);
      places.push(place);
    }
  }
  const { periods: periodsNow, attributions } = fold.timeline();
  return { periods, events: places, now: { periods: periodsNow, events: fold.events(), attributions } };
}
