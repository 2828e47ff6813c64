import { addMonths, endOfMonth } from '@app/domain';

export const INTERVALS = ['month', 'quarter', 'year'] as const;
export type Interval = (typeof INTERVALS)[number];

/** More periods than this in one flows request is refused (ten years of months is 120). */
export const MAX_PERIODS = 240;

export interface Period {
  /** 2022-03, 2022-Q1 or 2022. */
  label: string;
  /** Start of the calendar period: the key SQL's date_trunc gives. */
  bucket: string;
  /** The part of the period inside [from, to]. */
  start: string;
  end: string;
}

const MONTHS: Record<Interval, number> = { month: 1, quarter: 3, year: 12 };

/** The first day of the calendar period of this interval a date is in (SQL's date_trunc). */
export function bucketOf(date: string, interval: Interval): string {
  const month = Number(date.slice(5, 7));
  return `${date.slice(0, 4)}-${String(month - ((month - 1) % MONTHS[interval])).padStart(2, '0')}-01`;
}

/** The last day of the calendar period of this interval that starts on `bucket`. */
export const calendarEnd = (bucket: string, interval: Interval) => endOfMonth(addMonths(bucket, MONTHS[interval] - 1));

/** The calendar periods of this interval that meet [from, to], each clipped to it. */
export function periodsBetween(from: string, to: string, interval: Interval, limit: number): Period[] | null {
  const months = MONTHS[interval];
  let bucket = bucketOf(from, interval);
  const periods: Period[] = [];
  for (;;) {
    if (bucket > to) return periods;
    if (periods.length === limit) return null;
    const end = calendarEnd(bucket, interval);
    const month = Number(bucket.slice(5, 7));
    const label =
      interval === 'month' ? bucket.slice(0, 7) : interval === 'quarter' ? `${bucket.slice(0, 4)}-Q${(month + 2) / 3}` : bucket.slice(0, 4);
    periods.push({ label, bucket, start: bucket < from ? from : bucket, end: end > to ? to : end });
    bucket = addMonths(bucket, months);
  }
}
