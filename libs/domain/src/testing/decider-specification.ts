import { decide, type DecisionContext } from '../dossier/decide';
import type { DossierCommand } from '../dossier/commands';
import { DossierNotFoundError, DossierRuleViolation, type DossierRule } from '../dossier/errors';
import type { DossierEvent } from '../dossier/events';
import { evolve, initialState, type DossierState } from '../dossier/state';
import { defaultMunicipalityDirectory } from '../reference/municipality-directory';

/**
 * Given-when-then for the dossier decider, for jest specs:
 *
 *   given([registered]).when(house).then([housed]);
 *   given([registered, housed]).when(house).thenThrows('already-housed');
 *
 * Return the result of `then`, never the object `when` returns: its `then` method makes it look
 * like a promise to jest.
 */

export const TODAY = '2026-11-23';

export const testContext: DecisionContext = { today: TODAY, municipalities: defaultMunicipalityDirectory };

export function given(history: DossierEvent[]) {
  const state = history.reduce(evolve, initialState);
  return {
    when(command: DossierCommand, context: DecisionContext = testContext) {
      const decision = () => decide(command, state, context);
      return {
        /** Asserts the events and returns the state they lead to, for further assertions. */
        then(expected: DossierEvent[]): DossierState {
          const events = decision();
          expect(events).toEqual(expected);
          return events.reduce(evolve, state);
        },
        thenThrows(rule: DossierRule, extra?: Record<string, unknown>): DossierRuleViolation {
          let outcome: { events: DossierEvent[] } | { error: unknown };
          try {
            outcome = { events: decision() };
          } catch (error) {
            outcome = { error };
          }
          expect(outcome).toEqual({ error: expect.any(DossierRuleViolation) });
          const violation = (outcome as { error: DossierRuleViolation }).error;
          expect({ rule: violation.rule, extra: violation.extra }).toMatchObject({ rule, ...(extra && { extra }) });
          return violation;
        },
        thenNotFound(): void {
          expect(decision).toThrow(DossierNotFoundError);
        },
      };
    },
  };
}
