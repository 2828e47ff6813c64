import { randomUUID } from 'node:crypto';
import type { DossierEvent } from '../dossier/events';
import { dossierStreamId } from '../dossier/events';
import { dossierEventMetadata, type DossierEventMetadata } from '../dossier/stored-event';

/**
 * Hand-made dossier events for specs: a registration, and events as a store takes them and hands
 * them over (the shapes of libs/event-store's EventToAppend and RecordedEvent), with the metadata
 * the service writes.
 */

let lastPosition = 0n;

/** A registration with made-up personal data, in the municipality and on the date given. */
export const registered = (dossierId: string, municipality: string, registeredOn: string): DossierEvent => ({
  type: 'DossierRegistered',
  data: {
    dossierId,
    personal: {
      givenName: 'Olena',
      familyName: 'Kovalenko',
      birthDate: '1985-07-30',
      nationalRegisterNumber: '85073003328',
      attestationNumber: 'TB-2022-0012345',
    },
    sex: 'female',
    nationality: 'UKR',
    protectionGrantedOn: '2022-03-21',
    municipality,
    householdId: null,
    registeredOn,
  },
});

/** The metadata of a fixture event: recorded by alice at `recordedAt`, with no hash chain. */
export function fixtureMetadata(event: DossierEvent, recordedAt = '2024-05-01T10:00:00.000Z'): DossierEventMetadata {
  return dossierEventMetadata(event, { recordedAt, actor: 'alice', correlationId: randomUUID(), causationId: randomUUID() });
}

/** A dossier event as a store takes it, with the service's metadata, for rebuild-from-the-log specs. */
export const dossierEventToAppend = (event: DossierEvent) => ({
  id: randomUUID(),
  type: event.type,
  data: event.data as unknown as Record<string, unknown>,
  metadata: fixtureMetadata(event),
});

/** A dossier event as the store would hand it over, with the metadata the service writes. */
export function recordedDossierEvent(dossierId: string, version: number, event: DossierEvent) {
  lastPosition++;
  return {
    id: randomUUID(),
    streamId: dossierStreamId(dossierId),
    version,
    type: event.type,
    data: event.data as unknown as Record<string, unknown>,
    // Recorded moments distinct and increasing per version, so "last recorded" orderings are testable.
    metadata: fixtureMetadata(event, new Date(Date.UTC(2024, 0, 1) + version * 60_000).toISOString()),
    position: { commit: lastPosition, prepare: lastPosition },
    createdAt: new Date(),
  };
}
