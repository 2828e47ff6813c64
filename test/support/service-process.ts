import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from '../../libs/platform/src/embedded-postgres';
import { TEST_DEV_SECRET } from './test-app';
import { until } from './until';

const ROOT = resolve(__dirname, '../..');

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** What it wrote to stdout and stderr, line by line. */
  readonly lines: string[];
  /** Resolves when it has exited: its exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, unless it is gone already. */
  kill(): Promise<void>;
}

/**
 * The service as `npm start` runs it (apps/api/src/main.ts, through ts-node), in a process of its
 * own, configured by `env` (DATABASE_URL, DATA_DIR, EVENTSTORE_URL, CRASH_AT, …) with the tests'
 * token secret, on a free port; resolves once it answers /health/live.
 */
export async function startServiceProcess(env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    AUTH_DEV_SECRET: TEST_DEV_SECRET,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
  };
  // Jest's and the run's own settings are not the child's.
  delete childEnv.NODE_OPTIONS;
  if (!env.EVENTSTORE_URL) delete childEnv.EVENTSTORE_URL;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const service: ServiceProcess = {
    child,
    url,
    lines,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  let gone = false;
  void exited.then(() => (gone = true));
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
  if (gone) throw new Error(`The service process exited before it answered: ${lines.slice(-10).join('\n')}`);
  return service;
}
