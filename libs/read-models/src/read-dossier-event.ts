import { assertDossierEventShape, decodeDossierEvent, dossierIdOf, MalformedEventError, type DossierEvent } from '@app/domain';
import type { RecordedEvent } from '@app/event-store';
import { isUuid } from '@app/platform';

/** A recorded dossier event as the projections read it. */
export interface ReadDossierEvent {
  readonly recorded: RecordedEvent;
  /** From the stream id, lower case. */
  readonly dossierId: string;
  /** Upcast to the current schema, its shape checked (the personal block only as an object: it may be sealed). */
  readonly event: DossierEvent;
  /** metadata.recordedAt as written: a timestamp, unless the event was written by hand. */
  readonly recordedAt: unknown;
}

/**
 * Reads a recorded event of a dossier stream, the one way every projection does. Throws for an
 * event that cannot be read (MalformedEventError, UnknownEventError): the projection leaves it
 * out and notes it (engine/safe-form.ts readEach).
 */
export function readDossierEvent(recorded: RecordedEvent): ReadDossierEvent {
  const dossierId = dossierIdOf(recorded.streamId);
  if (!isUuid(dossierId)) throw new MalformedEventError(recorded.type, 'the stream id', `dossier-<uuid>`);
  const event = decodeDossierEvent(recorded, recorded.data);
  assertDossierEventShape(event);
  return { recorded, dossierId: dossierId.toLowerCase(), event, recordedAt: (recorded.metadata as { recordedAt?: unknown }).recordedAt };
}
