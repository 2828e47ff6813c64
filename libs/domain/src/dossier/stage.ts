import type { DossierState } from './state';

/**
 * A dossier's stage: the furthest step of the path its current state has reached, or `left`.
 * The one rule wherever a stage is shown or counted: the CRT registry's `stage` (a generated
 * column computes it in SQL; a spec holds the two equal for every state), the statistics' stock by
 * stage, and the funnel, whose steps are the active stages in order.
 */
export const ACTIVE_STAGES = ['registered', 'housed', 'inburgering', 'vdab', 'employed'] as const;
export const STAGES = [...ACTIVE_STAGES, 'left'] as const;
export type ActiveStage = (typeof ACTIVE_STAGES)[number];
export type Stage = (typeof STAGES)[number];

/** Null for a dossier that was never registered. */
export function stageOf(state: DossierState): Stage | null {
  if (state.status === 'unregistered') return null;
  if (state.status === 'left') return 'left';
  if (state.employment) return 'employed';
  if (state.vdab) return 'vdab';
  if (state.inburgering) return 'inburgering';
  if (state.housing) return 'housed';
  return 'registered';
}
