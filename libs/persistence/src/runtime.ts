import { join } from 'node:path';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { EventStore } from '@app/event-store';
import type { AppConfig } from '@app/platform';
import { runningEmbeddedPostgres, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@app/platform/embedded-postgres';
import { createDataSource } from './data-source';
import { openEventStore } from './open-event-store';

const EMBEDDED_DATABASE = 'dossiers';
/**
 * TypeORM does not lock its migrations; instances starting together (several API and projector
 * processes) take turns under this session-level advisory lock, so the first applies them and
 * the others find them applied. One-key space, beside the event store's migrations' 7_366_000.
 */
const SERVICE_MIGRATION_LOCK_KEY = 7_366_004;

async function runMigrationsInTurn(dataSource: DataSource, databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [SERVICE_MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations();
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** What a process of the service runs on, opened before Nest (or a CLI) starts. */
export interface Runtime {
  readonly config: AppConfig;
  readonly eventStore: EventStore;
  /** Migrated, initialised. */
  readonly dataSource: DataSource;
}

export interface OpenedRuntime {
  readonly runtime: Runtime;
  close(): Promise<void>;
}

export type RuntimeLog = (message: string) => void;

/**
 * Opens what the service runs on: PostgreSQL (DATABASE_URL, or the embedded server under
 * DATA_DIR: the one another process of this installation runs, else one started here), its
 * migrations, and the event store (EventStoreDB when EVENTSTORE_URL is set).
 */
export async function openRuntime(
  config: AppConfig,
  log: RuntimeLog = () => undefined,
  /** The caller stops the runtime itself on SIGTERM/SIGINT (the service: after requests in flight). */
  options: { handlesSignals?: boolean } = {},
): Promise<OpenedRuntime> {
  let embedded: EmbeddedPostgresHandle | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const dataDir = join(config.dataDir, 'postgres');
    let running = await runningEmbeddedPostgres(dataDir);
    if (!running) {
      try {
        embedded = await startEmbeddedPostgres({ dataDir, port: config.embeddedPostgresPort, stopsOnSignals: !options.handlesSignals });
        log(`Embedded PostgreSQL started, files in ${dataDir}`);
      } catch (error) {
        // Another process of this installation started it meanwhile (the API and the projector at once).
        running = await runningEmbeddedPostgres(dataDir);
        if (!running) throw error;
      }
    }
    if (running) log(`Using the embedded PostgreSQL already running on ${dataDir}`);
    databaseUrl = await ensureDatabase(running ?? embedded!.url, EMBEDDED_DATABASE);
  }
  let dataSource: DataSource | undefined;
  let eventStore: EventStore | undefined;
  try {
    dataSource = createDataSource(databaseUrl);
    await dataSource.initialize();
    await runMigrationsInTurn(dataSource, databaseUrl);
    eventStore = await openEventStore({ eventStoreUrl: config.eventStoreUrl, databaseUrl });
    log(`Event store: ${config.eventStoreUrl ? 'EventStoreDB' : 'PostgreSQL'}`);
  } catch (error) {
    await dataSource?.destroy().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
  const opened = { dataSource, eventStore };
  return {
    runtime: { config, eventStore: opened.eventStore, dataSource: opened.dataSource },
    close: async () => {
      await opened.eventStore.close();
      await opened.dataSource.destroy();
      await embedded?.stop();
    },
  };
}
