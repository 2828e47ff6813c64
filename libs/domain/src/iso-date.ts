import type { IsoDate } from './dossier/events';

/** True for a YYYY-MM-DD string naming a day that exists (no 2023-02-30). */
export function isCalendarDate(value: string): value is IsoDate {
  // Read digit by digit: every event a projection reads has dates, and a match, its parts and an
  // array per date were most of what a rebuild allocated besides the rows.
  if (value.length !== 10 || value.charCodeAt(4) !== HYPHEN || value.charCodeAt(7) !== HYPHEN) return false;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  return year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

const HYPHEN = 0x2d;
const ZERO = 0x30;

/** The number the `count` ASCII digits from `start` spell, or -1 when one is not a digit. */
function digitsAt(text: string, start: number, count: number): number {
  let number = 0;
  for (let index = start; index < start + count; index++) {
    const digit = text.charCodeAt(index) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    number = number * 10 + digit;
  }
  return number;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The days this service records or is asked about. Nothing it keeps happened before 1900 (the
 * oldest person alive was born after it), and no question reaches past 2099; PostgreSQL's `date`
 * refuses some days outside (year 0000), and the rest only ever come from typing mistakes.
 */
export const EARLIEST_SUPPORTED_DATE = '1900-01-01';
export const LATEST_SUPPORTED_DATE = '2099-12-31';

/** A calendar date within EARLIEST_SUPPORTED_DATE..LATEST_SUPPORTED_DATE. */
export function isSupportedDate(value: string): value is IsoDate {
  return isCalendarDate(value) && value >= EARLIEST_SUPPORTED_DATE && value <= LATEST_SUPPORTED_DATE;
}

/**
 * Date arithmetic on calendar days, in UTC so that no time zone or daylight saving shifts a day.
 * Every day count and month step of the service goes through these.
 */
const partsOf = (date: IsoDate): [year: number, month: number, day: number] => date.split('-').map(Number) as [number, number, number];
const fromUtc = (year: number, monthIndex: number, day: number): IsoDate => new Date(Date.UTC(year, monthIndex, day)).toISOString().slice(0, 10);

/** The day `days` after `date` (before it, when negative). */
export function addDays(date: IsoDate, days: number): IsoDate {
  const [year, month, day] = partsOf(date);
  return fromUtc(year, month - 1, day + days);
}

export function nextDay(date: IsoDate): IsoDate {
  return addDays(date, 1);
}

/** Days from `from` to `to`: negative when `to` is earlier. */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  const dayNumber = (date: IsoDate) => {
    const [year, month, day] = partsOf(date);
    return Date.UTC(year, month - 1, day) / 86_400_000;
  };
  return dayNumber(to) - dayNumber(from);
}

/** The same day `months` later (earlier, when negative), clamped to the month's last day: 2024-01-31 + 1 is 2024-02-29. */
export function addMonths(date: IsoDate, months: number): IsoDate {
  const [year, month, day] = partsOf(date);
  const lastDay = new Date(Date.UTC(year, month - 1 + months + 1, 0)).getUTCDate();
  return fromUtc(year, month - 1 + months, Math.min(day, lastDay));
}

/** The last day of the month `date` is in. */
export function endOfMonth(date: IsoDate): IsoDate {
  const [year, month] = partsOf(date);
  return fromUtc(year, month, 0);
}

const ISO_DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/;

/** True for a calendar ISO 8601 duration of years, months, weeks and days, e.g. P5Y or P1Y6M. */
export function isDateDuration(value: string): boolean {
  return value !== 'P' && ISO_DURATION.test(value);
}

/**
 * The date a calendar duration after `date`. Years and months first, clamped to the month's
 * last day (2024-02-29 + P1Y is 2025-02-28), then weeks and days.
 */
export function addDateDuration(date: IsoDate, duration: string): IsoDate {
  const match = ISO_DURATION.exec(duration);
  if (!match || duration === 'P') throw new RangeError(`${duration} is not a duration like P5Y or P1Y6M`);
  const [years, months, weeks, days] = match.slice(1).map((part) => Number(part ?? 0));
  return addDays(addMonths(date, years * 12 + months), weeks * 7 + days);
}
