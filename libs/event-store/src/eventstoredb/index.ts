/**
 * `@app/event-store/eventstoredb`: the event store in EventStoreDB, over its gRPC client. The
 * adapter is three files: the store (eventstoredb-event-store.ts, with the facts about client and
 * server it relies on), its catch-up subscription (all-subscription.ts), and the pure mappings
 * between the port and EventStoreDB, positions included (mapping.ts).
 */
export { EventStoreDbEventStore, type EventStoreDbEventStoreOptions } from './eventstoredb-event-store';
