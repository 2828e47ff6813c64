import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { AppRuntime } from './runtime.module';
import { configureHttp } from './http/http-setup';

/** The HTTP application on an opened runtime; shared by main.ts and the end-to-end tests. */
export async function createApp(runtime: AppRuntime, options: { logger?: false } = {}): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(runtime), {
    bodyParser: false,
    ...(options.logger === false ? { logger: false } : { bufferLogs: true }),
  });
  // Nest's own messages go out as the same JSON lines as the request log.
  if (options.logger !== false) app.useLogger(app.get(Logger));
  configureHttp(app, runtime.config);
  await app.init();
  return app;
}
