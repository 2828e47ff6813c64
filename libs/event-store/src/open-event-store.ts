import type { EventStore } from './event-store.port';
import { EventStoreDbEventStore } from './eventstoredb/eventstoredb-event-store';
import { PostgresEventStore } from './postgres/postgres-event-store';

/** EventStoreDB when its URL is configured; otherwise the PostgreSQL store in the given database. */
export async function openEventStore(options: { eventStoreUrl?: string; databaseUrl: string }): Promise<EventStore> {
  if (options.eventStoreUrl) return EventStoreDbEventStore.fromConnectionString(options.eventStoreUrl);
  return PostgresEventStore.connect(options.databaseUrl);
}
