import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { compiledBenchEntry } from './compiled-service';
import type { BenchConfig } from './config';
import { PeakRss } from './memory';
import type { ServiceProgress, ServiceReply, ServiceRequest } from './service-protocol';

/** How the bench runs TypeScript: ts-node without type checks and the path aliases (register-paths.ts). */
export const TS_NODE_ARGS = ['-r', 'ts-node/register/transpile-only', '-r', join(__dirname, 'register-paths.ts')];

/**
 * A child process running a TypeScript entry of the bench with an IPC channel: the service
 * under test (service-process.ts) or the EventStoreDB test server (esdb-server-process.ts).
 * The first message is the child's "ready" with what it has to say (its port).
 */
export class BenchChild<Ready> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; progress?: (progress: unknown) => void }>();
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly ready: Ready,
  ) {
    child.on('message', (reply: ServiceReply | ServiceProgress) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      if ('progress' in reply) return waiting.progress?.(reply.progress);
      this.pending.delete(reply.id);
      if (reply.ok) waiting.resolve(reply.result);
      else waiting.reject(new Error(reply.error));
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      for (const waiting of this.pending.values()) waiting.reject(new Error(`The child stopped (${code ?? signal}) before answering`));
      this.pending.clear();
    });
  }

  /**
   * `entry` is a TypeScript file of bench/ run through ts-node, or a compiled one (`compiled`: plain
   * Node.js); `stdout` a file descriptor the child's standard output goes to, or nowhere.
   */
  static async start<Ready>(
    entry: string,
    env: NodeJS.ProcessEnv,
    extraNodeArgs: readonly string[] = [],
    compiled = false,
    stdout: number | 'ignore' = 'ignore',
  ): Promise<BenchChild<Ready>> {
    const child = fork(compiled ? entry : join(__dirname, entry), [], {
      cwd: join(__dirname, '..'),
      env,
      execArgv: [...extraNodeArgs, ...(compiled ? [] : TS_NODE_ARGS)],
      // The service logs every request to stdout (LOG_LEVEL info, its default): not the bench's output.
      stdio: ['ignore', stdout, 'inherit', 'ipc'],
    });
    const ready = await new Promise<Ready>((resolve, reject) => {
      child.once('message', (reply: ServiceReply) => (reply.ok ? resolve(reply.result as Ready) : reject(new Error(reply.error))));
      child.once('exit', (code) => reject(new Error(`${entry} exited with ${code} while starting`)));
    });
    return new BenchChild<Ready>(child, ready);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Asks the child; `progress` hears what it tells of the request before it answers (serveBench). */
  request<T>(request: ServiceRequest | { type: string }, progress?: (progress: unknown) => void): Promise<T> {
    if (this.exited) return Promise.reject(new Error('The child has stopped'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, progress });
      this.child.send({ id, request });
    });
  }

  /** Peak resident memory of the child while `work` runs, in MiB. */
  async measured<T>(work: () => Promise<T>): Promise<{ result: T; peakRssMb: number }> {
    const peak = new PeakRss(this.pid);
    try {
      const result = await work();
      return { result, peakRssMb: peak.stop() };
    } catch (error) {
      peak.stop();
      throw error;
    }
  }

  /** Asks it to stop cleanly; kills it if it does not within 30 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.request({ type: 'stop' }).catch(() => undefined);
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

export interface ServiceReady {
  readonly port: number;
  readonly startedAt: number;
}

/** The projector (apps/projector) in a child process with this environment on top of the bench's. */
export function startProjector(env: Record<string, string>): Promise<BenchChild<{ startedAt: number }>> {
  return BenchChild.start<{ startedAt: number }>('projector-process.ts', { ...process.env, ...env });
}

/** How package.json's start scripts and the container image start a built entry point (docs/operations.md, "Memory"). */
export const START_NODE = 'sh scripts/start-node.sh';

/**
 * The Node.js options `npm start` runs the service with (V8's heap bounded by HEAP_LIMIT_MIB in
 * this environment), as scripts/start-node.sh gives them, so that the bench measures the service
 * as it runs. Throws with the script's own words when the setting is wrong.
 */
export function serviceNodeOptions(env: NodeJS.ProcessEnv = process.env): string[] {
  const [command, ...args] = START_NODE.split(' ');
  const started = spawnSync(command, [...args, '--options'], { cwd: join(__dirname, '..'), env, encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`${START_NODE} --options: ${started.stderr.trim()}`);
  return started.stdout.split(/\s+/).filter((option) => option !== '');
}

/**
 * The service (apps/api) in a child process with this environment on top of the bench's, run
 * from the build as `npm start` runs it (compiled-service.ts), with its Node.js options and then
 * the run's own (BENCH_SERVICE_NODE_ARGS), its standard output appended to BENCH_SERVICE_OUTPUT's
 * file if set.
 */
export async function startService(
  env: Record<string, string>,
  config: Pick<BenchConfig, 'serviceNodeArgs' | 'serviceOutput'>,
): Promise<BenchChild<ServiceReady>> {
  const entry = compiledBenchEntry('service-process.ts');
  const output = config.serviceOutput === null ? 'ignore' : openSync(config.serviceOutput, 'a');
  try {
    return await BenchChild.start<ServiceReady>(entry, { ...process.env, ...env }, [...serviceNodeOptions(), ...config.serviceNodeArgs], true, output);
  } finally {
    // The child has its own descriptor of the file once started.
    if (output !== 'ignore') closeSync(output);
  }
}
