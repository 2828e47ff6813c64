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

/**
 * Each calendar period's last day and the next period's first day, by interval and first day,
 * worked out once: a 48-month range took some 150 date conversions a request (0.2-0.7 ms, asked
 * again or not), and the periods are few (twelve months, four quarters and a year a year).
 */
const calendar = INTERVALS.map(() => new Map<string, { end: string; next: string }>());
function calendarOf(bucket: string, interval: Interval): { end: string; next: string } {
  const known = calendar[INTERVALS.indexOf(interval)];
  let period = known.get(bucket);
  if (!period) known.set(bucket, (period = { end: endOfMonth(addMonths(bucket, MONTHS[interval] - 1)), next: addMonths(bucket, MONTHS[interval]) }));
  return period;
}

/** The last day of the calendar period of this interval that starts on `bucket`. */
export const calendarEnd = (bucket: string, interval: Interval) => calendarOf(bucket, interval).end;

/** The calendar periods of this interval that meet [from, to], each clipped to it. */
export function periodsBetween(from: string, to: string, interval: Interval, limit: number): Period[] | null {
  let bucket = bucketOf(from, interval);
  const periods: Period[] = [];
  for (;;) {
    if (bucket > to) return periods;
    if (periods.length === limit) return null;
    const { end, next } = calendarOf(bucket, interval);
    const month = Number(bucket.slice(5, 7));
    const label =
      interval === 'month' ? bucket.slice(0, 7) : interval === 'quarter' ? `${bucket.slice(0, 4)}-Q${(month + 2) / 3}` : bucket.slice(0, 4);
    periods.push({ label, bucket, start: bucket < from ? from : bucket, end: end > to ? to : end });
    bucket = next;
  }
}
