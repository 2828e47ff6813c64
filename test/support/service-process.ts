import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../libs/platform/src/embedded-postgres';
import { TEST_DEV_SECRET } from './test-app';
import { until } from '@app/testing';

const ROOT = join(__dirname, '../..');

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** What it wrote, line by line. */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Its exit code once it has exited; null when a signal ended it (child.signalCode says which). */
  readonly exited: Promise<number | null>;
  /** SIGKILL, unless it is gone already; resolves once it is. */
  kill(): Promise<void>;
}

/**
 * `node apps/api/src/main.ts` as a process of its own (compiled on the fly), with only the
 * environment given (and PATH; DATA_DIR a fresh directory unless given), its output collected
 * line by line.
 */
export function spawnService(env: NodeJS.ProcessEnv): ServiceProcess {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, TS_NODE_PROJECT: 'tsconfig.json', DATA_DIR: mkdtempSync(join(tmpdir(), 'dossiers-service-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (into: string[]) => {
    let rest = '';
    return (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop()!;
      into.push(...lines.filter((line) => line !== ''));
    };
  };
  child.stdout!.on('data', collect(stdout));
  child.stderr!.on('data', collect(stderr));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout,
    stderr,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * spawnService on a free port, with the tests' token secret and no rate limit; resolves once it
 * answers /health/live, at `url`.
 */
export async function startServiceProcess(env: NodeJS.ProcessEnv): Promise<ServiceProcess & { readonly url: string }> {
  const port = await freePort();
  const service = spawnService({ AUTH_DEV_SECRET: TEST_DEV_SECRET, RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'warn', ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void service.exited.then(() => (gone = true));
  try {
    await until(
      async () => (gone ? 'exited' : await fetch(`${url}/health/live`).then((response) => response.status, () => 0)),
      (status) => status === 200 || status === 'exited',
      { what: 'The service process answering /health/live', timeoutMs: 60_000, pollMs: 100 },
    );
  } catch (error) {
    await service.kill();
    throw error;
  }
  if (gone) throw new Error(`The service process exited before it answered: ${service.stderr.slice(-10).join('\n')}`);
  return { ...service, url };
}
