import { ACTIVE_STAGES, type ActiveStage } from '@app/domain';
import type { StatEvent } from './situation';

/** The event by which a person first reaches each step of the funnel. */
export const STEP_EVENTS: Record<ActiveStage, StatEvent['type']> = {
  registered: 'DossierRegistered',
  housed: 'PersonHoused',
  inburgering: 'InburgeringEnrolled',
  vdab: 'VdabRegistered',
  employed: 'EmploymentStarted',
};

/**
 * When a person reaches each step of the funnel (ACTIVE_STAGES' order), from the first date of
 * each step's event (null: none): once every earlier step is reached too, on the latest of their
 * first dates, so the funnel only narrows and no wait is negative; null from the first step
 * missing on.
 */
export function reachDates(first: Readonly<Record<ActiveStage, string | null>>): Array<string | null> {
  let previous: string | null = null;
  let missing = false;
  return ACTIVE_STAGES.map((step, index) => {
    const date = first[step];
    if (missing || !date) {
      missing = true;
      return null;
    }
    previous = index > 0 && previous! > date ? previous : date;
    return previous;
  });
}
