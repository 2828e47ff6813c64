import { Injectable, Logger, type INestApplicationContext, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { openRuntime, type OpenedRuntime } from '@app/persistence';
import { loadConfig, type AppConfig } from '@app/platform';
import { AppModule } from '../app.module';

/**
 * The service without HTTP, opened only by the commands that need it (not `token`): the same
 * configuration, stores, handlers and rules as the API. Projections run here only when a
 * command asks for them (PROJECTIONS_IN_PROCESS=false otherwise): the running service, or the
 * projector, keeps the read models.
 */
@Injectable()
export class ServiceContext implements OnApplicationShutdown {
  private opened: { runtime: OpenedRuntime; app: INestApplicationContext } | undefined;

  config(): AppConfig {
    return loadConfig();
  }

  async open(options: { projections?: boolean } = {}): Promise<INestApplicationContext> {
    if (this.opened) return this.opened.app;
    Logger.overrideLogger(['error']);
    const config = loadConfig({ ...process.env, PROJECTIONS_IN_PROCESS: options.projections ? 'true' : 'false', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
    const runtime = await openRuntime(config);
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(runtime.runtime), { logger: ['error'] });
    await app.init();
    this.opened = { runtime, app };
    return app;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.opened) return;
    await this.opened.app.close();
    await this.opened.runtime.close();
    this.opened = undefined;
  }
}

/** Who the command line acts as, in event metadata and the access log. */
export function cliActor(): string {
  return `cli:${process.env.USER ?? process.env.LOGNAME ?? 'unknown'}`;
}
