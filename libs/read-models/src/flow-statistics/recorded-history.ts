import { defaultMunicipalityDirectory, type MunicipalityDirectory } from '@app/domain';
import { situationTimeline, type Attribution, type SituationPeriod, type StatEvent } from './situation';

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

export type PeriodVersion = SituationPeriod & Recording;
/** A kept event with where it counts, from one recording moment to the next at which that changed. */
export type EventVersion = RecordedStatEvent & Omit<Attribution, 'version'> & Recording;

/**
 * A dossier's timeline at every moment one of its events was recorded, as rows on both axes.
 * At each recording moment (in order) the events recorded by then are folded (situationTimeline)
 * and compared with the timeline of the moment before: a period or an event's place that is no
 * longer there is closed at that moment, a new one opens. So a late event recorded on 3 May
 * changes the rows from 3 May on and leaves what was answered on 2 May as it was. A pure
 * function of the events and their recording moments, whatever order or batches they came in:
 * the live path and the rebuild write the same rows.
 */
export function recordedHistory(
  events: readonly RecordedStatEvent[],
  directory: MunicipalityDirectory = defaultMunicipalityDirectory,
): { periods: PeriodVersion[]; events: EventVersion[] } {
  const moments = [...new Set(events.map((event) => event.recordedAt))].sort();
  const byVersion = new Map(events.map((event) => [event.version, event]));
  const periods: PeriodVersion[] = [];
  const places: EventVersion[] = [];
  const openPeriods = new Map<string, PeriodVersion>();
  const openPlaces = new Map<number, EventVersion>();
  for (const moment of moments) {
    const timeline = situationTimeline(
      events.filter((event) => event.recordedAt <= moment),
      directory,
    );
    const now = new Map(timeline.periods.map((period) => [JSON.stringify(period), period]));
    for (const [key, open] of openPeriods) {
      if (now.has(key)) continue;
      open.recordedTo = moment;
      openPeriods.delete(key);
    }
    for (const [key, period] of now) {
      if (openPeriods.has(key)) continue;
      const version = { ...period, recordedFrom: moment, recordedTo: null };
      openPeriods.set(key, version);
      periods.push(version);
    }
    for (const { version, ...where } of timeline.attributions) {
      const open = openPlaces.get(version);
      if (open && (Object.keys(where) as Array<keyof typeof where>).every((field) => open[field] === where[field])) continue;
      if (open) open.recordedTo = moment;
      const place = { ...byVersion.get(version)!, ...where, recordedFrom: moment, recordedTo: null };
      openPlaces.set(version, place);
      places.push(place);
    }
  }
  return { periods, events: places };
}
