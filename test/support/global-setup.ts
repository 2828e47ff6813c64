import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../libs/platform/src/embedded-postgres';
import { startEsdbTestServer } from '../../tools/esdb-test-server';
import { TEST_STATS_PERIOD_MS } from './event-store-under-test';

interface RunServices {
  stop(): Promise<void>;
}

/**
 * What the whole run shares:
 * - PostgreSQL: the one in DATABASE_URL when set, else an embedded one in a temporary directory.
 *   Spec files create their own databases in it (libs/testing: createTestDatabase).
 * - EventStoreDB: the real server in TEST_ESDB_URL when set, else the in-memory test server that
 *   speaks EventStoreDB's gRPC protocol (tools/esdb-test-server), in ESDB_TEST_SERVER_URL.
 */
export default async function globalSetup(): Promise<void> {
  const stops: Array<() => Promise<void>> = [];
  if (process.env.DATABASE_URL) {
    process.env.TEST_POSTGRES_URL = process.env.DATABASE_URL;
  } else {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'dossiers-test-')), 'pg');
    const postgres = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    process.env.TEST_POSTGRES_URL = postgres.url;
    stops.push(() => postgres.stop());
  }
  if (!process.env.TEST_ESDB_URL) {
    const esdb = await startEsdbTestServer({ port: 0, statsPeriodMs: TEST_STATS_PERIOD_MS });
    process.env.ESDB_TEST_SERVER_URL = esdb.url;
    stops.push(() => esdb.stop());
  }
  const services: RunServices = { stop: async () => void (await Promise.all(stops.map((stop) => stop()))) };
  (globalThis as { __runServices?: RunServices }).__runServices = services;
}
