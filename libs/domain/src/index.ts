/**
 * The dossier's domain, pure: events, commands, decide and evolve, the rules, the stage rule, the
 * stored-event envelope, business dates and the municipality reference data. It imports no
 * framework and no database client. Entry point for specs: `@app/domain/testing` (the decider's
 * given/when/then, hand-made dossier events).
 */
import type { DossierEvent } from './dossier/events';
import { evolve, initialState, type DossierState } from './dossier/state';

export * from './dossier/events';
export * from './dossier/commands';
export * from './dossier/state';
export * from './dossier/stage';
export * from './dossier/decide';
export * from './dossier/errors';
export * from './dossier/upcasting';
export * from './dossier/event-shape';
export * from './dossier/stored-event';
export * from './iso-date';
export * from './age-band';
export * from './national-register-number';
export * from './reference/municipality-directory';
export * from './reference/municipality-map';

/** The dossier as its events tell it (continued from `from`, a state folded from the events before them). */
export function fold(events: readonly DossierEvent[], from: DossierState = initialState): DossierState {
  return events.reduce(evolve, from);
}
