/**
 * `@app/event-store/contract`: what every adapter of the port must do, as jest suites an
 * adapter's spec (or a server's, like the EventStoreDB test server's) runs against its store:
 * the store contract, and the log as readers see it under concurrent writers. Specs only.
 */
export * from './event-store.contract';
export * from './log-delivery.contract';
