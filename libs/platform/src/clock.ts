import { todayIn } from './config';

/** Now, and today's business date: the service's time, which specs may fix. */
export interface Clock {
  now(): Date;
  /** Today's business date (YYYY-MM-DD) in the configured zone. */
  today(): string;
}

export const CLOCK = Symbol('CLOCK');

export function systemClock(timeZone: string): Clock {
  return { now: () => new Date(), today: () => todayIn(timeZone) };
}
