/**
 * The service under test, in a child process of the bench: exactly what apps/api/src/main.ts
 * starts (openRuntime, createApp, listen; configuration from the environment), plus an IPC
 * channel through which the bench asks for what HTTP does not offer precisely enough: timed
 * rebuilds (stopped after a time budget), the time the projections took to catch up, CPU
 * profiles of a stretch of work, and its pauses (garbage collections, event-loop delay).
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { openRuntime } from '@app/persistence';
import { loadConfig } from '@app/platform';
import { createApp } from '../apps/api/src/app.factory';
import { logDestination } from '../apps/api/src/observability/logging/logging';
import { ProjectionEngineHost } from '@app/read-models';
import { memorySample, PauseRecorder } from './pauses';
import { serveBench, type RebuildFigure, type ServiceRequest } from './service-protocol';

class BudgetReached extends Error {
  override readonly name = 'BudgetReached';
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error', 'warn']);
  const config = loadConfig();
  const opened = await openRuntime(config);
  // The projections start inside createApp (on the embedded default): their catch-up counts from here.
  const startedAt = Date.now();
  // The request log through the stream main.ts gives it (to standard output, which the bench ignores).
  const app = await createApp({ ...opened.runtime, logDestination: logDestination(config) }, { logger: false });
  const engine = app.get(ProjectionEngineHost).engine;
  const server = await app.listen(config.port, config.host);
  const port = (server.address() as AddressInfo).port;
  const pauses = new PauseRecorder(server);
  const profiler = new Session();
  profiler.connect();
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => profiler.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));

  /** Rebuilds these projections side by side; each stops (and drops its copy) once the budget is spent. */
  async function rebuild(names: readonly string[], budgetMs: number): Promise<RebuildFigure[]> {
    const started = Date.now();
    return Promise.all(
      names.map(async (name): Promise<RebuildFigure> => {
        let applied = 0;
        let lastAt = started;
        try {
          const result = await engine.rebuild(name, (progress) => {
            applied = progress.applied;
            lastAt = Date.now();
            if (lastAt - started > budgetMs) throw new BudgetReached(`${name}: budget of ${budgetMs} ms spent`);
          });
          return { name, applied: result.applied, milliseconds: Date.now() - started, completed: true };
        } catch (error) {
          if (!(error instanceof BudgetReached)) throw error;
          return { name, applied, milliseconds: lastAt - started, completed: false };
        }
      }),
    );
  }

  async function handle(request: ServiceRequest): Promise<unknown> {
    switch (request.type) {
      case 'caught-up': {
        const names = engine.projections.map((projection) => projection.name);
        const finished = await Promise.all(
          names.map(async (name) => {
            const ok = await engine.waitUntilCaughtUp(name, request.timeoutMs, 50);
            return { name, ok, at: Date.now() };
          }),
        );
        return { startedAt, finished, memory: memorySample() };
      }
      case 'rebuild':
        return rebuild(request.names, request.budgetMs);
      case 'profile-start':
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: 500 });
        await post('Profiler.start');
        if (request.heapSamplingInterval !== undefined) {
          // What is allocated, objects that died since included (what makes the collections).
          await post('HeapProfiler.enable');
          await post('HeapProfiler.startSampling', {
            samplingInterval: request.heapSamplingInterval,
            includeObjectsCollectedByMajorGC: true,
            includeObjectsCollectedByMinorGC: true,
          });
        }
        return null;
      case 'profile-stop': {
        const { profile } = await post<{ profile: unknown }>('Profiler.stop');
        writeFileSync(request.file, JSON.stringify(profile));
        if (request.heapFile) {
          const { profile: heap } = await post<{ profile: unknown }>('HeapProfiler.stopSampling');
          writeFileSync(request.heapFile, JSON.stringify(heap));
        }
        return null;
      }
      case 'pauses-start':
        pauses.start();
        return null;
      case 'pauses-stop':
        return pauses.stop();
      case 'stop':
        await app.close();
        await opened.close();
        return null;
    }
  }

  serveBench(handle, { port, startedAt });
}

main().catch((error: unknown) => {
  console.error('The service under test failed to start:', error);
  process.exit(1);
});
