import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { loadConfig, signDevToken, type AppConfig, type Clock, type Role } from '../../libs/platform/src';
import { openRuntime } from '../../libs/persistence/src';
import { PersonalDataProtection } from '../../libs/personal-data/src';
import { createApp } from '../../apps/api/src/app.factory';
import type { DestinationStream } from 'pino';
import { createTestDatabase } from '@app/testing';
import { eventStoreEnv, onPostgresStore } from './event-store-under-test';

export const TEST_DEV_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';

export interface TestApp {
  readonly app: INestApplication;
  readonly config: AppConfig;
  readonly databaseUrl: string;
  /** supertest bound to the running app: real HTTP over a loopback socket. */
  http(): ReturnType<typeof request>;
  token(role: Role, subject?: string): Promise<string>;
  close(): Promise<void>;
}

export const newDataDir = () => mkdtempSync(join(tmpdir(), 'dossiers-app-'));

/**
 * The service as it runs in production, on the given database, with events there too or in
 * EventStoreDB (see event-store-under-test.ts), and tokens signed by a known development secret.
 * close() stops the service and leaves the data.
 */
export interface TestAppExtras {
  /** The service's clock; default the system's. */
  readonly clock?: Clock;
  /** Where its JSON logs go (set LOG_LEVEL too: tests default to silent). */
  readonly logDestination?: DestinationStream;
}

export async function startAppOn(databaseUrl: string, dataDir: string, env: NodeJS.ProcessEnv = {}, extras: TestAppExtras = {}): Promise<TestApp> {
  Logger.overrideLogger(['error', 'warn']);
  const config = loadConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    AUTH_DEV_SECRET: TEST_DEV_SECRET,
    // Quiet and unthrottled unless a spec is about logs or the rate limit.
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '0',
    ...eventStoreEnv(),
    ...env,
  });
  const opened = await openRuntime(config);
  // The run's one EventStoreDB log holds every spec file's dossiers, whose keys are in the other
  // files' databases: here they read as erased (a lost key is an error in the service itself).
  const personalData = onPostgresStore() ? undefined : PersonalDataProtection.fromConfig(config, { withoutKey: 'erased' });
  const app = await createApp({ ...opened.runtime, ...extras, personalData }, { logger: false });
  await app.listen(0, '127.0.0.1');
  return {
    app,
    config,
    databaseUrl,
    http: () => request(app.getHttpServer()),
    token: (role, subject = `test-${role}`) => signDevToken(config, { subject, roles: [role] }),
    close: async () => {
      await app.close();
      await opened.close();
    },
  };
}

/** The service on a fresh database of the run's PostgreSQL, dropped again on close(). */
export async function startTestApp(env: NodeJS.ProcessEnv = {}, extras: TestAppExtras = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const testApp = await startAppOn(database.url, newDataDir(), env, extras);
  return {
    ...testApp,
    close: async () => {
      await testApp.close();
      await database.drop();
    },
  };
}
