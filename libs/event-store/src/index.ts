/**
 * The event-store port: streams with dense 1-based versions and optimistic concurrency, one log
 * of every event in a consistent order (positions, readAll, subscribeToAll), the EVENT_STORE
 * token, the errors every adapter throws. Code that appends or reads events needs only this face.
 *
 * Each adapter is an entry point of its own, so that what uses the port loads no database client:
 * - `@app/event-store/postgres`: the embedded default, events in PostgreSQL (`PostgresEventStore`);
 * - `@app/event-store/eventstoredb`: EventStoreDB over gRPC (`EventStoreDbEventStore`);
 * - `@app/event-store/contract`: the contract suites every adapter passes (specs only).
 * Which adapter a process opens is configuration: `openEventStore` in libs/persistence.
 */
export * from './event-store.port';
