import { businessOrder, fold, type IsoDate } from '@app/domain';
import type { LoadedDossier, StoredDossierEvent } from './dossier-repository';

/**
 * The two time axes an auditor travels along:
 * - `asOf` (recorded time): only what had been recorded by that moment — the dossier as the
 *   system knew it then;
 * - `validOn` (business date): only what had happened by that day, in the order it happened,
 *   including facts recorded late — the dossier as it stood that day, given all we know now.
 * Both together: what had happened by `validOn`, as known at `asOf`.
 */
export interface PointInTime {
  readonly asOf?: string;
  readonly validOn?: IsoDate;
}

/** Undefined when the dossier did not exist yet at that point. */
export function dossierAt(dossier: LoadedDossier, when: PointInTime): LoadedDossier | undefined {
  let events: readonly StoredDossierEvent[] = dossier.events;
  if (when.asOf !== undefined) {
    const moment = Date.parse(when.asOf);
    events = events.filter((e) => Date.parse(e.metadata.recordedAt) <= moment);
  }
  if (when.validOn !== undefined) {
    const day = when.validOn;
    // Same business day: the order they were recorded in decides, as it did for the rules.
    const placed = (e: StoredDossierEvent) => ({ occurredOn: e.metadata.occurredOn, version: e.version });
    events = events.filter((e) => e.metadata.occurredOn <= day).sort((a, b) => businessOrder(placed(a), placed(b)));
  }
  if (events.length === 0 || events[0].event.type !== 'DossierRegistered') return undefined;
  return {
    dossierId: dossier.dossierId,
    version: Math.max(...events.map((e) => e.version)),
    state: fold(events.map((e) => e.event)),
    events,
  };
}

/** The dossier after its first `version` events. */
export function dossierAtVersion(dossier: LoadedDossier, version: number): LoadedDossier {
  const events = dossier.events.filter((e) => e.version <= version);
  return { dossierId: dossier.dossierId, version, state: fold(events.map((e) => e.event)), events };
}

export interface FieldChange {
  /** Dotted path in the dossier's API shape, e.g. `housing.type`. */
  readonly path: string;
  readonly from: unknown;
  readonly to: unknown;
}

/** Leaf-level differences between two JSON values; arrays compare whole. */
export function changesBetween(before: unknown, after: unknown, path = ''): FieldChange[] {
  const isObject = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => changesBetween(before[key] ?? null, after[key] ?? null, path ? `${path}.${key}` : key));
  }
  // A leaf, or an object appearing or disappearing (housing: null ↔ {…}): one change at its path.
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, from: before, to: after }];
}
