import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { letOthersIn } from './embedded-postgres';

describe('letOthersIn (the embedded PostgreSQL data directory’s parent, as root)', () => {
  let dir: string;
  const modeOf = (path: string) => statSync(path).mode & 0o7777;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'let-others-in-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens a private directory for listing and entering, not for writing', () => {
    chmodSync(dir, 0o700);
    letOthersIn(dir);
    expect(modeOf(dir)).toBe(0o755);
  });

  it('keeps a shared directory’s write and sticky bits (a data directory right under /tmp)', () => {
    chmodSync(dir, 0o1777);
    letOthersIn(dir);
    expect(modeOf(dir)).toBe(0o1777);
  });
});
