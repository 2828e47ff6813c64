import type { Interval } from './statistics.dto';

export interface Period {
  /** 2022-03, 2022-Q1 or 2022. */
  label: string;
  /** Start of the calendar period: the key SQL's date_trunc gives. */
  bucket: string;
  /** The part of the period inside [from, to]. */
  start: string;
  end: string;
}

const iso = (year: number, month: number, day: number) => new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);

/** The calendar periods of this interval that meet [from, to], each clipped to it. */
export function periodsBetween(from: string, to: string, interval: Interval, limit: number): Period[] | null {
  const months = interval === 'month' ? 1 : interval === 'quarter' ? 3 : 12;
  let year = Number(from.slice(0, 4));
  let month = Number(from.slice(5, 7));
  month = month - ((month - 1) % months);
  const periods: Period[] = [];
  for (;;) {
    const bucket = iso(year, month, 1);
    if (bucket > to) return periods;
    if (periods.length === limit) return null;
    const end = iso(year, month + months, 0);
    const label =
      interval === 'month' ? bucket.slice(0, 7) : interval === 'quarter' ? `${year}-Q${(month + 2) / 3}` : String(year);
    periods.push({ label, bucket, start: bucket < from ? from : bucket, end: end > to ? to : end });
    month += months;
    if (month > 12) {
      month -= 12;
      year++;
    }
  }
}
