import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@app/platform';
import { createTestDatabase } from '@app/testing';
import { openRuntime } from './runtime';

describe('openRuntime', () => {
  it('opens a fresh database from several processes starting together: they take turns at the migrations', async () => {
    const database = await createTestDatabase();
    const config = loadConfig({ DATABASE_URL: database.url, DATA_DIR: mkdtempSync(join(tmpdir(), 'runtime-spec-')) });
    try {
      const opened = await Promise.all([openRuntime(config), openRuntime(config), openRuntime(config)]);
      await Promise.all(opened.map((instance) => instance.close()));
      const reopened = await openRuntime(config);
      try {
        expect(await reopened.runtime.dataSource.showMigrations()).toBe(false);
      } finally {
        await reopened.close();
      }
    } finally {
      await database.drop();
    }
  });
});
