import { Injectable, Logger, type INestApplicationContext, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { openRuntime, type OpenedRuntime } from '@app/persistence';
import { loadConfig, type AppConfig } from '@app/platform';
import { CliServiceModule } from './service.module';

/**
 * The service without HTTP (CliServiceModule), opened only by the commands that need it (not
 * `token`): the same configuration, stores, handlers and rules as the API. Projections run here
 * only when a command asks for them (PROJECTIONS_IN_PROCESS=false otherwise): the running
 * service, or the projector, keeps the read models.
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
    const app = await NestFactory.createApplicationContext(CliServiceModule.forRoot(runtime.runtime), { logger: ['error'] });
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

/** A name such as alice, a.peeters or svc-import@agii: no spaces, nothing a log line could be split on. */
const ACTOR_NAME = /^[\p{L}\p{N}][\p{L}\p{N}._@-]{0,63}$/u;

/**
 * Who the command line acts as, in event metadata and the access log: `--actor <name>`, else the
 * login name ($USER or $LOGNAME). Without either (a container, a scheduler) the action is refused:
 * an event whose author nobody can tell is worth less to an auditor than no event.
 */
export function cliActor(given?: string, env: NodeJS.ProcessEnv = process.env): string {
  const name = given?.trim() || env.USER?.trim() || env.LOGNAME?.trim();
  if (!name) {
    throw new Error('who is acting? Give --actor <name> (no USER or LOGNAME in the environment): it is recorded as cli:<name> with every event and access');
  }
  if (!ACTOR_NAME.test(name)) throw new Error(`--actor "${name}" is not a name such as alice or a.peeters (letters, digits, . _ @ -, at most 64)`);
  return `cli:${name}`;
}
