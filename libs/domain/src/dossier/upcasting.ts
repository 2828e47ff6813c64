import { DOSSIER_EVENT_TYPES, SCHEMA_VERSIONS, type DossierEvent, type DossierEventType } from './events';

type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * How stored events of an older schema version become the current shape, one step at a time:
 * UPCASTERS[type][n] turns version n into n + 1. Stored events are never rewritten. Empty while
 * every event type is at version 1; docs/events.md lists each change.
 */
const UPCASTERS: Partial<Record<DossierEventType, Record<number, Upcaster>>> = {};

export class UnknownEventError extends Error {
  override readonly name = 'UnknownEventError';
}

export function isDossierEventType(type: string): type is DossierEventType {
  return (DOSSIER_EVENT_TYPES as readonly string[]).includes(type);
}

export function upcastDossierEvent(type: string, schemaVersion: number, data: Record<string, unknown>): DossierEvent {
  if (!isDossierEventType(type)) throw new UnknownEventError(`Unknown dossier event type ${type}`);
  const current = SCHEMA_VERSIONS[type];
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > current) {
    throw new UnknownEventError(`${type} has schema version ${schemaVersion}; this build knows 1..${current}`);
  }
  let upgraded = data;
  for (let version = schemaVersion; version < current; version++) {
    const step = UPCASTERS[type]?.[version];
    if (!step) throw new UnknownEventError(`No upcaster for ${type} from schema version ${version}`);
    upgraded = step(upgraded);
  }
  return { type, data: upgraded } as DossierEvent;
}
