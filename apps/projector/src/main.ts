import 'reflect-metadata';
import { ConfigError } from '@app/platform';
import { fail, openProjections } from './projector';

/**
 * The projection worker: follows the event store and keeps every read model up to date, for
 * deployments that run the API with PROJECTIONS_IN_PROCESS=false. Several may run: each
 * projection runs in the one that holds its lock, the others stand by and take over within
 * about a second when it dies. Stops at a committed checkpoint on SIGTERM/SIGINT, and lets go.
 */
async function main(): Promise<void> {
  const log = (message: string) => console.log(`[projector] ${message}`);
  const { opened, engine } = await openProjections(log);
  await engine.start();
  log(`Started for ${engine.projections.map((p) => p.name).join(', ') || 'no projections'}`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping at a committed checkpoint`);
    await engine.stop();
    await opened.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  fail(error);
});
