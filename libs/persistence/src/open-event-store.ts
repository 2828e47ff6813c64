import type { EventStore } from '@app/event-store';
import { EventStoreDbEventStore } from '@app/event-store/eventstoredb';
import { PostgresEventStore } from '@app/event-store/postgres';

/**
 * The adapter configuration asks for: EventStoreDB when its URL is configured; otherwise the
 * PostgreSQL store in the given database. The one place that loads both adapters.
 */
export async function openEventStore(options: { eventStoreUrl?: string; databaseUrl: string }): Promise<EventStore> {
  if (options.eventStoreUrl) return EventStoreDbEventStore.fromConnectionString(options.eventStoreUrl);
  return PostgresEventStore.connect(options.databaseUrl);
}
