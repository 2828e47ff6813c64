/**
 * `@app/event-store/postgres`: the event store in PostgreSQL, the embedded default. It owns its
 * schema (`event_store`, migrated at connect); docs/architecture.md says how it assigns positions.
 */
export { PostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store';
