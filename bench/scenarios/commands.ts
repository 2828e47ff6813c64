import autocannon from 'autocannon';
import type { IsoDate } from '@app/domain';
import { LifecyclePool, registrationBody, type HttpCommand } from '../dataset';
import { perSecond, round, summariseLatencies, type LatencySummary } from '../stats';

export interface CommandRunOptions {
  readonly baseUrl: string;
  readonly staffToken: string;
  readonly pool: LifecyclePool;
  /** Pool dossiers 0..poolSize-1 are registered; those from `firstIndex` on are untouched (an earlier run took the ones before). */
  readonly poolSize: number;
  readonly firstIndex?: number;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly today: IsoDate;
  /** One request in this many is a registration; the others are lifecycle commands. */
  readonly registrationEvery: number;
  /** Keeps registrations of different runs on one store apart. */
  readonly registrationOffset: number;
  readonly runLabel: string;
}

export interface CommandRunResult {
  readonly requests: number;
  readonly seconds: number;
  readonly commandsPerSecond: number;
  readonly latency: LatencySummary;
  readonly registrations: number;
  readonly lifecycleCommands: number;
  readonly statusCodes: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  /** autocannon's own histogram (whole milliseconds), for comparison. */
  readonly autocannonLatency: { p50: number; p99: number };
  /** The first pool dossier this run left untouched (poolSize: it reached them all), where a later run can start. */
  readonly nextFresh: number;
}

interface Cursor {
  readonly index: number;
  step: number;
}

/**
 * Commands over HTTP at a fixed concurrency: a registration every `registrationEvery` requests,
 * otherwise the next step of a pool dossier's path. A dossier is handed to one connection at a
 * time and comes back to the queue when its answer is in, so its steps arrive in order and each
 * is valid; every request carries an Idempotency-Key, as a careful client sends.
 */
export async function runCommands(options: CommandRunOptions): Promise<CommandRunResult> {
  const firstIndex = options.firstIndex ?? 0;
  const ready: Cursor[] = Array.from({ length: Math.max(0, options.poolSize - firstIndex) }, (_, i) => ({ index: firstIndex + i, step: 0 }));
  let nextFresh = firstIndex;
  let head = 0;
  let sent = 0;
  let registrations = 0;
  let lifecycleCommands = 0;
  const latencies: number[] = [];

  const nextCommand = (context: { cursor?: Cursor }): HttpCommand => {
    sent++;
    const cursor = sent % options.registrationEvery === 0 ? undefined : ready[head];
    if (cursor) {
      head++;
      if (cursor.step === 0) nextFresh = Math.max(nextFresh, cursor.index + 1);
      context.cursor = cursor;
      lifecycleCommands++;
      return options.pool.step(cursor.index, cursor.step).http;
    }
    context.cursor = undefined;
    registrations++;
    return { path: '/dossiers', body: registrationBody(options.registrationOffset + registrations, options.today) };
  };

  let finish!: (result: autocannon.Result) => void;
  let fail!: (error: Error) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: options.baseUrl,
      connections: options.connections,
      duration: options.durationSeconds,
      timeout: 30,
      headers: { authorization: `Bearer ${options.staffToken}`, 'content-type': 'application/json' },
      requests: [
        {
          method: 'POST',
          setupRequest: (request, context) => {
            const command = nextCommand(context as { cursor?: Cursor });
            return {
              ...request,
              path: command.path,
              body: JSON.stringify(command.body),
              headers: { ...request.headers, 'idempotency-key': `bench-${options.runLabel}-${sent}` },
            };
          },
          onResponse: (_status, _body, context) => {
            const cursor = (context as { cursor?: Cursor }).cursor;
            if (cursor && ++cursor.step < LifecyclePool.STEPS) ready.push(cursor);
          },
        },
      ],
    },
    (error, result) => (error ? fail(error) : finish(result)),
  );
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  const result = await finished;
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  const requests = latencies.length;
  return {
    requests,
    seconds: result.duration,
    commandsPerSecond: round(perSecond(requests, result.duration * 1000), 1),
    latency: summariseLatencies(latencies),
    registrations,
    lifecycleCommands,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    autocannonLatency: { p50: result.latency.p50, p99: result.latency.p99 },
    nextFresh,
  };
}
