import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// Plain JavaScript (node runs it before anything is compiled); its shape, as the spec uses it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isStale, STAMP } = require('./build-if-stale.js') as { isStale(root: string): boolean; STAMP: string };

describe('building only when a source changed (npm run cli, npm start)', () => {
  const at = (root: string, path: string, minutesAgo: number) => {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '');
    const time = new Date(Date.now() - minutesAgo * 60_000);
    utimesSync(file, time, time);
  };

  it('builds when there is no build yet', () => {
    const root = mkdtempSync(join(tmpdir(), 'stale-'));
    at(root, 'apps/api/src/main.ts', 10);
    expect(isStale(root)).toBe(true);
  });

  it('does not build again while no source is newer than the last build', () => {
    const root = mkdtempSync(join(tmpdir(), 'stale-'));
    at(root, 'apps/api/src/main.ts', 10);
    at(root, 'libs/domain/src/index.ts', 9);
    at(root, STAMP, 5);
    expect(isStale(root)).toBe(false);
    // Outside the sources: tests, docs, the dashboard's screenshot.
    at(root, 'test/some.e2e.spec.ts', 1);
    at(root, 'apps/api/src/cli/cli.spec.ts', 1);
    at(root, 'docs/operations.md', 1);
    expect(isStale(root)).toBe(false);
  });

  it.each(['apps/api/src/dashboard/assets/dashboard.js', 'libs/platform/src/config.ts', 'package-lock.json', 'tsconfig.json'])(
    'builds again after %s changed',
    (changed) => {
      const root = mkdtempSync(join(tmpdir(), 'stale-'));
      at(root, 'apps/api/src/main.ts', 10);
      at(root, STAMP, 5);
      at(root, changed, 1);
      expect(isStale(root)).toBe(true);
    },
  );

  it('never builds where there are no sources (the service image)', () => {
    const root = mkdtempSync(join(tmpdir(), 'stale-'));
    at(root, 'dist/apps/api/apps/api/src/cli/main.js', 10);
    at(root, 'package-lock.json', 1);
    expect(isStale(root)).toBe(false);
  });
});
