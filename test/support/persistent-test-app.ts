import { createTestDatabase } from '@app/testing';
import { newDataDir, startAppOn, type TestApp } from './test-app';

/**
 * A database and data directory that outlive the app instances started on them, so a spec can
 * stop the service and start it again on the same data (a restart). Closing an instance leaves
 * the database in place; `drop()` removes it at the end.
 */
export interface PersistentTestDatabase {
  readonly url: string;
  readonly dataDir: string;
  /** Starts the service on this database; close() stops it and keeps the data. */
  start(env?: NodeJS.ProcessEnv): Promise<TestApp>;
  drop(): Promise<void>;
}

export async function createPersistentTestDatabase(): Promise<PersistentTestDatabase> {
  const database = await createTestDatabase();
  const dataDir = newDataDir();
  return {
    url: database.url,
    dataDir,
    drop: database.drop,
    start: (env = {}) => startAppOn(database.url, dataDir, env),
  };
}
