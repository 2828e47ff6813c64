// A relative path: global-setup.ts imports this file, and jest's global setup knows no @app aliases.
import { esdbUrlForTests } from '../../libs/testing/src';

/**
 * Which event store the end-to-end suites run on. jest.config.js runs them twice: project
 * `postgres` on the PostgreSQL store, project `eventstoredb` (globals.__EVENT_STORE__) on
 * EventStoreDB: the real server in TEST_ESDB_URL when set, else the run's EventStoreDB test
 * server (started in global-setup.ts).
 */
export type EventStoreKind = 'postgres' | 'eventstoredb';

/**
 * How often the tests' EventStoreDB test servers write `$statsCollected` (a node writing stats to
 * the database does so every 30 s): often, so that readers of $all meet system events between
 * their own, as they would on a node that has been up a while.
 */
export const TEST_STATS_PERIOD_MS = 250;

export function eventStoreUnderTest(): EventStoreKind {
  return (globalThis as { __EVENT_STORE__?: EventStoreKind }).__EVENT_STORE__ ?? 'postgres';
}

export const onPostgresStore = (): boolean => eventStoreUnderTest() === 'postgres';

/** EVENTSTORE_URL for an app under test, or nothing on the PostgreSQL store. */
export function eventStoreEnv(): NodeJS.ProcessEnv {
  return onPostgresStore() ? {} : { EVENTSTORE_URL: esdbUrlForTests() };
}

export interface SuiteEventStore {
  /** EVENTSTORE_URL for the suite's app, or nothing on the PostgreSQL store. */
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/**
 * An event store of the suite's own, for suites that count everything in the log (statistics, an
 * archive run of all dossiers) or need it to stand still (projection lag and readiness). On
 * PostgreSQL every spec file has its own database already; on EventStoreDB the other suites share
 * one log (the run's test server, or the real server in TEST_ESDB_URL) holding their dossiers, in
 * whatever order jest ran them, so such a suite gets a test server of its own, also when a real
 * server is given.
 */
export async function eventStoreOfItsOwn(): Promise<SuiteEventStore> {
  if (onPostgresStore()) return { env: {}, stop: async () => {} };
  const { startEsdbTestServer } = await import('../../tools/esdb-test-server');
  const server = await startEsdbTestServer({ port: 0, statsPeriodMs: TEST_STATS_PERIOD_MS });
  return { env: { EVENTSTORE_URL: server.url }, stop: () => server.stop() };
}
