import { STAT_EVENTS_TABLE } from '../flow-statistics.projection';
import { recordedRows, type RecordedAsOf } from './recorded';

/**
 * Where a definition is open, the statistics give both readings as separate series
 * (docs/statistics.md, "Two readings"). The first reading of each is an event type as recorded:
 * a PersonHoused is the first housing of a stay (a person is housed with it after the
 * registration and again after each reopening, a departure ending the housing), an
 * EmploymentEnded the end of a job. The second reading is this derived kind:
 *
 * - `FirstHousingEver`: a person's first PersonHoused of all, in business order (by date, stream
 *   order within a date);
 * - `EmploymentEndedOrLeftEmployed`: every EmploymentEnded, and every PersonLeft of a person who
 *   had a job just before it (the latest of their EmploymentStarted, EmploymentEnded and
 *   PersonLeft before it, in business order, is an EmploymentStarted): the departure ends the job
 *   as it ends the housing, without an EmploymentEnded.
 *
 * Rows in the shape of stat_events (dossier_id, occurred_on, municipality, province_nis, housing_municipality, housing_province_nis, type),
 * where the event they derive from counts. Each is decided over all of a dossier's events, so a
 * fact recorded late moves them as it moves the periods; as recorded at a moment, from the events
 * recorded by then.
 *
 * `within` (two SQL dates) keeps to the dossiers with an event of those kinds between them: the
 * same readings for every event of theirs, read from their rows alone (a question about a few
 * weeks reads those weeks' dossiers, not every dossier); the caller keeps the readings between them.
 *
 * The one-pass and live folds count the same readings per dossier in TypeScript (readingsOf in
 * aggregates/flows.ts, which says why there are two); aggregates/flows.spec.ts holds them equal.
 */
export const secondReadings = (at: RecordedAsOf, within?: readonly [string, string]) => {
  const among = (types: string) =>
    within
      ? `AND dossier_id IN (SELECT dossier_id FROM ${recordedRows(STAT_EVENTS_TABLE, at)} AS w WHERE occurred_on BETWEEN ${within[0]} AND ${within[1]} AND type IN (${types}))`
      : '';
  return `
  SELECT dossier_id, occurred_on, municipality, province_nis, housing_municipality, housing_province_nis, 'FirstHousingEver' AS type
    FROM (SELECT dossier_id, occurred_on, municipality, province_nis, housing_municipality, housing_province_nis,
                 row_number() OVER (PARTITION BY dossier_id ORDER BY occurred_on, version) AS nth
            FROM ${recordedRows(STAT_EVENTS_TABLE, at)} AS e WHERE type = 'PersonHoused' ${among("'PersonHoused'")}) AS housings
   WHERE nth = 1
  UNION ALL
  SELECT dossier_id, occurred_on, municipality, province_nis, housing_municipality, housing_province_nis, 'EmploymentEndedOrLeftEmployed' AS type
    FROM (SELECT dossier_id, occurred_on, municipality, province_nis, housing_municipality, housing_province_nis, type,
                 lag(type) OVER (PARTITION BY dossier_id ORDER BY occurred_on, version) AS before
            FROM ${recordedRows(STAT_EVENTS_TABLE, at)} AS e WHERE type IN ('EmploymentStarted', 'EmploymentEnded', 'PersonLeft') ${among("'EmploymentEnded', 'PersonLeft'")}) AS jobs
   WHERE type = 'EmploymentEnded' OR (type = 'PersonLeft' AND before = 'EmploymentStarted')`;
};
