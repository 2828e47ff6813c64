import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { letOthersIn, removeStaleSocketLock } from './embedded-postgres';

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

describe('a socket lock file left by a server killed with SIGKILL', () => {
  let dir: string;
  let holder: ChildProcess;
  /** A lock file as PostgreSQL writes it for a socket: the process number on its first line. */
  const lockNaming = (pid: number) => {
    const file = join(dir, '.s.PGSQL.54321.lock');
    writeFileSync(file, `${pid}\n${dir}\n1733400000\n54321\n`);
    return file;
  };
  const started = (child: ChildProcess) => new Promise((resolveSpawn) => child.once('spawn', resolveSpawn));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'socket-lock-'));
  });
  afterEach(() => {
    holder?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('is removed when its process number now belongs to another program (a CI run spawns thousands)', async () => {
    holder = spawn('sleep', ['30']);
    await started(holder);
    const file = lockNaming(holder.pid!);
    expect(removeStaleSocketLock(file)).toBe(true);
    expect(existsSync(file)).toBe(false);
  });

  it('is kept while a postmaster holds it', async () => {
    holder = spawn('sleep', ['30'], { argv0: 'postgres' });
    await started(holder);
    const file = lockNaming(holder.pid!);
    expect(removeStaleSocketLock(file)).toBe(false);
    expect(existsSync(file)).toBe(true);
  });
});
