import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../libs/platform/src/embedded-postgres';

/**
 * One PostgreSQL for the whole run: the one in DATABASE_URL when set, else an embedded one in a
 * temporary directory. Spec files create their own databases in it (test/support/database.ts).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_POSTGRES_URL = process.env.DATABASE_URL;
    return;
  }
  const dataDir = join(mkdtempSync(join(tmpdir(), 'dossiers-test-')), 'pg');
  const handle = await startEmbeddedPostgres({ dataDir, ephemeral: true });
  process.env.TEST_POSTGRES_URL = handle.url;
  (globalThis as { __embeddedPostgres?: typeof handle }).__embeddedPostgres = handle;
}
