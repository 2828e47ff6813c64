import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '@app/platform';
import { openRuntime } from '@app/persistence';
import { createApp } from './app.factory';
import { logDestination, loggerOptions } from './observability/logging/logging';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  // One stream for every line of the process, from the first: readable on a terminal, JSON otherwise.
  const destination = logDestination(config);
  const startUp = pino(loggerOptions(config), destination).child({ context: 'Runtime' });
  const opened = await openRuntime(config, (message) => startUp.info(message), { handlesSignals: true });
  const app = await createApp({ ...opened.runtime, logDestination: destination });
  const logger = new Logger('Main');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: finishing requests in flight, then stopping`);
    await app.close();
    await opened.close();
    (destination as { flushSync?: () => void }).flushSync?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  await app.listen(config.port, config.host);
  const { port } = app.getHttpServer().address() as AddressInfo;
  // Last of the start-up lines (projections have claimed or stood by by now): where to go next.
  logger.log(`Listening on http://${config.host}:${port} (API docs at /docs, dashboard at /dashboard)`);
}

main().catch((error: unknown) => {
  console.error('Failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
