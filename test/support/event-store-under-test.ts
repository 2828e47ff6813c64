/**
 * Which event store the end-to-end suites run on. jest.config.js runs them twice: project
 * `postgres` on the PostgreSQL store, project `eventstoredb` (globals.__EVENT_STORE__) on
 * EventStoreDB: the real server in TEST_ESDB_URL when set, else the run's EventStoreDB test
 * server (started in global-setup.ts).
 */
export type EventStoreKind = 'postgres' | 'eventstoredb';

export function eventStoreUnderTest(): EventStoreKind {
  return (globalThis as { __EVENT_STORE__?: EventStoreKind }).__EVENT_STORE__ ?? 'postgres';
}

export const onPostgresStore = (): boolean => eventStoreUnderTest() === 'postgres';

/** The EventStoreDB the suites use: a real server when given, else the run's test server. */
export function esdbUrlForTests(): string {
  const url = process.env.TEST_ESDB_URL ?? process.env.ESDB_TEST_SERVER_URL;
  if (!url) throw new Error('No EventStoreDB for tests: run through jest (test/support/global-setup.ts) or set TEST_ESDB_URL');
  return url;
}

/** EVENTSTORE_URL for an app under test, or nothing on the PostgreSQL store. */
export function eventStoreEnv(): NodeJS.ProcessEnv {
  return onPostgresStore() ? {} : { EVENTSTORE_URL: esdbUrlForTests() };
}
