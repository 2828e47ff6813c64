import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

const ROOT = resolve(__dirname, '..');

interface Started {
  readonly pid: number;
  /** `READY <url>` or `FAILED <message>`. */
  readonly said: string;
  readonly exited: Promise<void>;
}

/** The embedded PostgreSQL started by a process of its own, the leader of a process group (as `npm start` in a terminal). */
function start(dataDir: string): Promise<Started> {
  return new Promise((resolveStart, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'test/support/embedded-postgres-child.ts', dataDir], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((done) => child.on('exit', () => done()));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((candidate) => /^(READY|FAILED) /.test(candidate));
      if (line) resolveStart({ pid: child.pid!, said: line, exited });
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    void exited.then(() => resolveStart({ pid: child.pid!, said: output.trim() || 'exited without a word', exited }));
  });
}

/** SIGKILL to the whole group: the node process, the postmaster and its backends, at once. */
function killGroup(started: Started): Promise<void> {
  try {
    process.kill(-started.pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
  return started.exited;
}

async function answers(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0].one;
  } finally {
    await client.end();
  }
}

/**
 * The embedded default after a crash: the process and its PostgreSQL killed with SIGKILL, then
 * started again at once, the old postmaster not yet reaped (a zombie holding postmaster.pid, which
 * PostgreSQL takes for a running server). It starts; and when PostgreSQL cannot start, its own
 * message says why. Real processes; not an *.e2e.spec.ts, so it runs once.
 */
describe('embedded PostgreSQL restarted right after a SIGKILL', () => {
  const dirs: string[] = [];
  const running: Started[] = [];
  const newDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-restart-'));
    dirs.push(dir);
    return join(dir, 'postgres');
  };

  afterAll(async () => {
    for (const started of running) await killGroup(started);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('starts again at once after the process group was killed, three times over, with the data kept', async () => {
    const dataDir = newDataDir();
    let previous: Started | undefined;
    for (let round = 0; round < 4; round++) {
      if (previous) await killGroup(previous);
      const started = await start(dataDir);
      running.push(started);
      expect({ round, said: started.said }).toEqual({ round, said: expect.stringMatching(/^READY postgres:\/\//) });
      const url = started.said.slice('READY '.length);
      expect(await answers(url)).toBe(1);
      if (round === 0) {
        const client = new Client({ connectionString: url });
        await client.connect();
        await client.query('CREATE TABLE kept (n integer); INSERT INTO kept VALUES (42)');
        await client.end();
      } else {
        const client = new Client({ connectionString: url });
        await client.connect();
        expect((await client.query('SELECT n FROM kept')).rows).toEqual([{ n: 42 }]);
        await client.end();
      }
      previous = started;
    }
  }, 120_000);

  it("says PostgreSQL's own reason when it cannot start", async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir);
    running.push(first);
    expect(first.said).toMatch(/^READY /);
    await killGroup(first);
    // A cluster of another major version: PostgreSQL refuses it, and says so.
    writeFileSync(join(dataDir, 'PG_VERSION'), '9\n');
    const second = await start(dataDir);
    running.push(second);
    expect(second.said).toMatch(/^FAILED PostgreSQL did not start on .*: FATAL: +database files are incompatible with server/);
    expect(second.said).not.toContain('undefined');
  }, 60_000);
});
