import { OTHER_RESIDENCE_STATUSES } from '@app/domain';

/** Where a group stands: under temporary protection, in each other status (active), and left. */
export interface Standing {
  underTemporaryProtection: number;
  transitioned: Record<string, number>;
  left: number;
}

/** Monthly rates of a scenario, each a fraction per month. */
export interface MonthlyRates {
  /** New registrations per month, over the active stock (they arrive under temporary protection). */
  arrivals: number;
  /** Departures per month, over the active stock (any status). */
  departures: number;
  /** Moves from temporary protection to another status per month, over those under temporary protection. */
  transitions: number;
}

/** Each other status's share of the moves out of temporary protection (summing to 1). */
export type TransitionShares = Record<string, number>;

/** Even shares, for when no move was ever observed to split by. */
export const EVEN_SHARES: TransitionShares = Object.fromEntries(OTHER_RESIDENCE_STATUSES.map((status) => [status, 1 / OTHER_RESIDENCE_STATUSES.length]));

/** Active dossiers of a standing: under temporary protection and transitioned. */
export const activeIn = (s: Standing) => s.underTemporaryProtection + Object.values(s.transitioned).reduce((sum, n) => sum + n, 0);

/**
 * One month (or the fraction `share` of one) of the scenario, from the standing at its start:
 * arrivals join temporary protection, departures leave every status alike, transitions take
 * that rate of those under temporary protection who did not leave, split over the other statuses
 * by `shares`. Moves between the other
 * statuses are not projected.
 */
function month(s: Standing, rates: MonthlyRates, shares: TransitionShares, share: number): Standing {
  const active = activeIn(s);
  const arrivals = rates.arrivals * share * active;
  const leaving = rates.departures * share;
  // Of those under temporary protection who stay this month: nobody both leaves and moves.
  const moving = rates.transitions * share * (1 - leaving) * s.underTemporaryProtection;
  return {
    underTemporaryProtection: s.underTemporaryProtection + arrivals - leaving * s.underTemporaryProtection - moving,
    transitioned: Object.fromEntries(
      OTHER_RESIDENCE_STATUSES.map((status) => {
        const n = s.transitioned[status] ?? 0;
        return [status, n + moving * (shares[status] ?? 0) - leaving * n];
      }),
    ),
    left: s.left + leaving * active,
  };
}

/**
 * The standing `months` months (fractional) after `base`: whole months one after another, then
 * the remaining fraction of a month at that fraction of each rate. Not rounded.
 */
export function project(base: Standing, rates: MonthlyRates, shares: TransitionShares, months: number): Standing {
  let standing = base;
  const whole = Math.floor(months);
  for (let i = 0; i < whole; i++) standing = month(standing, rates, shares, 1);
  const rest = months - whole;
  return rest > 0 ? month(standing, rates, shares, rest) : standing;
}
