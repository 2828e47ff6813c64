import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { loadConfig, signDevToken, type AppConfig, type Role } from '../../libs/platform/src';
import { createApp, openRuntime } from '../../apps/api/src/runtime';
import { createTestDatabase } from './database';

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

/**
 * The service as it runs in production, on a fresh database of the run's PostgreSQL (or on
 * EventStoreDB when TEST_ESDB_URL is set), with tokens signed by a known development secret.
 */
export async function startTestApp(env: NodeJS.ProcessEnv = {}): Promise<TestApp> {
  Logger.overrideLogger(['error', 'warn']);
  const database = await createTestDatabase();
  const config = loadConfig({
    DATA_DIR: mkdtempSync(join(tmpdir(), 'dossiers-app-')),
    DATABASE_URL: database.url,
    AUTH_DEV_SECRET: TEST_DEV_SECRET,
    ...(process.env.TEST_ESDB_URL ? { EVENTSTORE_URL: process.env.TEST_ESDB_URL } : {}),
    ...env,
  });
  const opened = await openRuntime(config);
  const app = await createApp(opened.runtime, { logger: false });
  await app.listen(0, '127.0.0.1');
  return {
    app,
    config,
    databaseUrl: database.url,
    http: () => request(app.getHttpServer()),
    token: (role, subject = `test-${role}`) => signDevToken(config, { subject, roles: [role] }),
    close: async () => {
      await app.close();
      await opened.close();
      await database.drop();
    },
  };
}
