import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { dossierEventMetadata, dossierStreamId, type DossierEvent, type DossierEventMetadata } from '@app/domain';
import type { EventToAppend, RecordedEvent } from '@app/event-store';
import { createDataSource } from '@app/persistence/data-source';
import { createTestDatabase } from '@app/testing';
import { READ_MODEL_SCHEMA, type ProjectionContext } from '../engine/projection';
import type { SafeFormField } from '../engine/safe-form';

/** Test support for projection specs: a migrated database and hand-made recorded events. */

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
export const dossierEventToAppend = (event: DossierEvent): EventToAppend => ({
  id: randomUUID(),
  type: event.type,
  data: event.data as unknown as Record<string, unknown>,
  metadata: fixtureMetadata(event),
});

/** A dossier event as the store would hand it over, with the metadata the service writes. */
export function recordedDossierEvent(dossierId: string, version: number, event: DossierEvent): RecordedEvent {
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

/** What a projection noted through its context about events stored in a safe form or left out. */
export type Noted = { eventId: string; fields: readonly SafeFormField[] } | { eventId: string; leftOut: string };

/**
 * A fresh database of the run's PostgreSQL with every migration applied, and a live-schema
 * context whose safe-form notes land in `noted`.
 */
export async function openReadModelDatabase(): Promise<{
  url: string;
  dataSource: DataSource;
  context: ProjectionContext;
  noted: Noted[];
  close: () => Promise<void>;
}> {
  const database = await createTestDatabase();
  const dataSource = createDataSource(database.url);
  await dataSource.initialize();
  await dataSource.runMigrations();
  const noted: Noted[] = [];
  return {
    url: database.url,
    dataSource,
    context: {
      schema: READ_MODEL_SCHEMA,
      query: (sql, parameters) => dataSource.query(sql, parameters),
      storedInSafeForm: (event, fields) => noted.push({ eventId: event.id, fields }),
      leftOut: (event, leftOut) => noted.push({ eventId: event.id, leftOut }),
    },
    noted,
    close: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}
