import type { IsoDate } from './dossier/events';

/** True for a YYYY-MM-DD string naming a day that exists (no 2023-02-30). */
export function isCalendarDate(value: string): value is IsoDate {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return daysInMonth !== undefined && day >= 1 && day <= daysInMonth;
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

export function nextDay(date: IsoDate): IsoDate {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day + 1)).toISOString().slice(0, 10);
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
  const [year, month, day] = date.split('-').map(Number);
  const monthIndex = year * 12 + (month - 1) + years * 12 + months;
  const targetYear = Math.floor(monthIndex / 12);
  const targetMonth = monthIndex % 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  const clamped = new Date(Date.UTC(targetYear, targetMonth, Math.min(day, lastDay) + weeks * 7 + days));
  return clamped.toISOString().slice(0, 10);
}
