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
/** The day Date.UTC makes of these, written as toISOString writes it (without that text and its slice where the year has four digits). */
function fromUtc(year: number, monthIndex: number, day: number): IsoDate {
  const date = new Date(Date.UTC(year, monthIndex, day));
  const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
  if (!(y >= 1000 && y <= 9999)) return date.toISOString().slice(0, 10);
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/**
 * The year and month of a date whose day arithmetic needs no Date: four digits from 1000 (where
 * Date.UTC reads years 0 to 99 as 1900 to 1999, and toISOString writes other widths), a month
 * 1 to 12; null for any other text, which goes the Date way as before.
 */
function plainMonthOf(date: string): { year: number; month: number } | null {
  if (date.length !== 10 || date.charCodeAt(4) !== HYPHEN || date.charCodeAt(7) !== HYPHEN) return null;
  const [year, month] = [digitsAt(date, 0, 4), digitsAt(date, 5, 2)];
  return year >= 1000 && month >= 1 && month <= 12 ? { year, month } : null;
}

/**
 * The day `days` after `date` (before it, when negative). Within the date's month, written from
 * its digits: the statistics step through days by the thousand an answer (spans of kept counts,
 * month ends), and a Date and its ISO text per step were a tenth of a computed range answer's
 * own work (bench/README.md, "Computed range answers' per-answer work (thirteenth session)").
 * The same day as Date's arithmetic (iso-date.spec.ts holds them equal).
 */
export function addDays(date: IsoDate, days: number): IsoDate {
  const plain = plainMonthOf(date);
  const of = plain === null ? -1 : digitsAt(date, 8, 2);
  const day = of + days;
  if (plain !== null && of >= 0 && day >= 1 && day <= daysInMonth(plain.year, plain.month)) return `${date.slice(0, 8)}${day < 10 ? '0' : ''}${day}`;
  const [year, month, dayOfMonth] = partsOf(date);
  return fromUtc(year, month - 1, dayOfMonth + days);
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

/** The last day of the month `date` is in (written from its digits where addDays writes them). */
export function endOfMonth(date: IsoDate): IsoDate {
  const plain = plainMonthOf(date);
  if (plain !== null) return `${date.slice(0, 8)}${daysInMonth(plain.year, plain.month)}`;
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
