import { defaultMunicipalityDirectory, type MunicipalityDirectory } from '@app/domain';
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
  // In recording order, so that the events recorded by a moment are a prefix (situationTimeline orders them itself).
  const byRecording = [...events].sort((a, b) => (a.recordedAt < b.recordedAt ? -1 : a.recordedAt > b.recordedAt ? 1 : 0));
  const byVersion = new Map(events.map((event) => [event.version, event]));
  const periods: PeriodVersion[] = [];
  const places: EventVersion[] = [];
  // A timeline's periods start on distinct days: an open period is known by its first day.
  const openPeriods = new Map<string, PeriodVersion>();
  const openPlaces = new Map<number, EventVersion>();
  // The timeline at each moment: the one before with the events recorded at that moment folded in (situationTimeline's).
  const fold = new SituationFold(directory);
  let recorded = 0;
  while (recorded < byRecording.length) {
    const moment = byRecording[recorded].recordedAt;
    const from = recorded;
    while (recorded < byRecording.length && byRecording[recorded].recordedAt === moment) recorded++;
    fold.add(byRecording.slice(from, recorded));
    const timeline = fold.timeline();
    const now = new Map(timeline.periods.map((period) => [period.validFrom, period]));
    for (const [validFrom, open] of openPeriods) {
      const period = now.get(validFrom);
      if (period && period.validTo === open.validTo && sameSituation(period, open)) {
        now.delete(validFrom);
        continue;
      }
      open.recordedTo = moment;
      openPeriods.delete(validFrom);
    }
    for (const [validFrom, period] of now) {
      const version = { ...period, recordedFrom: moment, recordedTo: null };
      openPeriods.set(validFrom, version);
      periods.push(version);
    }
    for (const where of timeline.attributions) {
      const open = openPlaces.get(where.version);
      if (
        open &&
        open.municipality === where.municipality &&
        open.provinceNis === where.provinceNis &&
        open.housingMunicipality === where.housingMunicipality &&
        open.housingProvinceNis === where.housingProvinceNis
      ) {
        continue;
      }
      if (open) open.recordedTo = moment;
      const place: EventVersion = {
        ...byVersion.get(where.version)!,
        municipality: where.municipality,
        provinceNis: where.provinceNis,
        housingMunicipality: where.housingMunicipality,
        housingProvinceNis: where.housingProvinceNis,
        recordedFrom: moment,
        recordedTo: null,
      };
      openPlaces.set(where.version, place);
      places.push(place);
    }
  }
  return { periods, events: places };
}
