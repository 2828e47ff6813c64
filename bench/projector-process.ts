/**
 * The projector (apps/projector) in a child process of the bench, for the command scenario with
 * the projections out of the service's process (PROJECTIONS_IN_PROCESS=false): exactly what
 * apps/projector/src/main.ts starts, plus the IPC channel of service-process.ts for "caught up"
 * and a clean stop.
 */
import 'reflect-metadata';
import { openProjections } from '../apps/projector/src/projector';
import { serveBench, type ServiceRequest } from './service-protocol';

async function main(): Promise<void> {
  // Its log lines are not the bench's output (stdout is ignored; only errors reach stderr).
  const { opened, engine } = await openProjections(() => undefined);
  const startedAt = Date.now();
  await engine.start();

  async function handle(request: ServiceRequest): Promise<unknown> {
    switch (request.type) {
      case 'caught-up': {
        const finished = await Promise.all(
          engine.projections.map(async ({ name }) => ({ name, ok: await engine.waitUntilCaughtUp(name, request.timeoutMs, 50), at: Date.now() })),
        );
        return { startedAt, finished };
      }
      case 'stop':
        await engine.stop();
        await opened.close();
        return null;
      default:
        throw new Error(`The projector does not do ${request.type}`);
    }
  }

  serveBench(handle, { startedAt });
}

main().catch((error: unknown) => {
  console.error('The projector under test failed to start:', error);
  process.exit(1);
});
