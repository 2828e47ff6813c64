import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import type { AppRuntime } from './runtime.module';
import { ExpressAdapterOwnPrototypes } from './http/express-adapter';
import { configureHttp } from './http/http-setup';
import { ProcessLogger, processLogger } from './observability/logging/logging';

/** The HTTP application on an opened runtime; shared by main.ts and the end-to-end tests. */
export async function createApp(runtime: AppRuntime, options: { logger?: false } = {}): Promise<INestApplication> {
  const logger = processLogger(runtime.config, runtime.logDestination);
  const app = await NestFactory.create(AppModule.forRoot(runtime), new ExpressAdapterOwnPrototypes(), {
    bodyParser: false,
    // Nest's own messages go out as the same JSON lines as the request log.
    logger: options.logger === false ? false : new ProcessLogger(logger),
  });
  configureHttp(app, runtime.config, logger);
  await app.init();
  return app;
}
