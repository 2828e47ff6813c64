import type { IsoDate } from './dossier/events';
import { isCalendarDate } from './iso-date';

/**
 * The age bands the statistics break down by, and `unknown` for a person whose birth date cannot
 * be read (erased, its key lost). A person's age on a day is the number of birthdays they have had
 * by that day; one born on 29 February has it on 1 March in other years.
 */
export const AGE_BANDS = ['0-17', '18-24', '25-44', '45-64', '65+', 'unknown'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

/** The age each band starts at, youngest first (`unknown` has none). */
const BAND_STARTS: ReadonlyArray<readonly [age: number, band: AgeBand]> = [
  [0, '0-17'],
  [18, '18-24'],
  [25, '25-44'],
  [45, '45-64'],
  [65, '65+'],
];

/** The day a person born on `birthDate` turns `age`: the same month and day `age` years later, 1 March for a 29 February outside leap years. */
export function birthdayOf(birthDate: IsoDate, age: number): IsoDate {
  const [year, month, day] = birthDate.split('-').map(Number);
  const date = `${String(year + age).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return isCalendarDate(date) ? date : `${String(year + age).padStart(4, '0')}-03-01`;
}

/** A run of days in one age band: from `from` until the day before `to` (null: for good). */
export interface AgeBandSpan {
  from: IsoDate;
  to: IsoDate | null;
  ageBand: AgeBand;
}

/**
 * A person's age bands from `since` on (a band that ended before it is left out, so nothing says
 * more about the birth date than the days from `since` need): the band on `since`, from `since`,
 * then one span from each later birthday that starts a band. Without a birth date, `unknown` from
 * `since` for good. A birth date after `since` counts as age 0.
 */
export function ageBandsSince(birthDate: IsoDate | null, since: IsoDate): AgeBandSpan[] {
  if (birthDate === null) return [{ from: since, to: null, ageBand: 'unknown' }];
  const starts = BAND_STARTS.map(([age, ageBand]) => ({ on: age === 0 ? null : birthdayOf(birthDate, age), ageBand }));
  const current = starts.filter((start) => start.on === null || start.on <= since).length - 1;
  const later = starts.slice(current + 1);
  const spans: AgeBandSpan[] = [{ from: since, to: later[0]?.on ?? null, ageBand: starts[current].ageBand }];
  later.forEach((start, index) => spans.push({ from: start.on!, to: later[index + 1]?.on ?? null, ageBand: start.ageBand }));
  return spans;
}
