import { DOSSIER_STREAM_PREFIX, occurredOn, SCHEMA_VERSIONS, type DossierEvent } from './events';
import { upcastDossierEvent } from './upcasting';

/**
 * The envelope of a dossier event in the store: its type, its data (a registration's personal
 * block sealed, libs/personal-data) and this metadata (docs/events.md). Encoded and decoded here
 * only: by the dossier repository, the projections, the bench's loader and the tests' fixtures.
 */
export type DossierEventMetadata = {
  schemaVersion: number;
  /** The business date (occurredOn of the event). */
  occurredOn: string;
  recordedAt: string;
  actor: string;
  correlationId: string;
  causationId: string;
  /** Link of the stream's hash chain (libs/dossiers, hash-chain.ts); fixtures written without one have none. */
  hash?: string;
};

/** Who recorded an event, when, under which ids, and its hash-chain link. */
export type Recording = Omit<DossierEventMetadata, 'schemaVersion' | 'occurredOn'>;

/** The metadata an event is stored with. */
export function dossierEventMetadata(event: DossierEvent, recording: Recording): DossierEventMetadata {
  const { recordedAt, actor, correlationId, causationId, hash } = recording;
  return {
    schemaVersion: SCHEMA_VERSIONS[event.type],
    occurredOn: occurredOn(event),
    recordedAt,
    actor,
    correlationId,
    causationId,
    ...(hash === undefined ? {} : { hash }),
  };
}

/** The schema version an event was stored at: its metadata's, or 1 where it has none (written by hand). */
export function schemaVersionOf(metadata: unknown): number {
  const { schemaVersion } = (metadata ?? {}) as { schemaVersion?: unknown };
  return Number(schemaVersion ?? 1);
}

/**
 * A stored event read back as the current schema has it (upcasting.ts). `data` is the stored data,
 * or a copy of it with the personal block made readable; an event of an unknown type or schema
 * version throws UnknownEventError.
 */
export function decodeDossierEvent(stored: { readonly type: string; readonly metadata: unknown }, data: Record<string, unknown>): DossierEvent {
  return upcastDossierEvent(stored.type, schemaVersionOf(stored.metadata), data);
}

/** The dossier id a dossier stream (`dossier-<id>`) is named after. */
export function dossierIdOf(streamId: string): string {
  return streamId.slice(DOSSIER_STREAM_PREFIX.length);
}
