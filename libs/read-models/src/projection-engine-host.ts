import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { PersonalDataProtection } from '@app/personal-data';
import { createProjectionEngine, type ProjectionEngine } from '@app/projection-engine';
import { APP_CONFIG, type AppConfig } from '@app/platform';
import { allProjections } from './all-projections';

/**
 * The projection engine of this process. On the embedded default it runs the projections here
 * (or stands by while another instance runs them: one instance per projection, by its lock);
 * with PROJECTIONS_IN_PROCESS=false they run in apps/projector and this one only reports and
 * rebuilds.
 */
@Injectable()
export class ProjectionEngineHost implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly engine: ProjectionEngine;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    personalData: PersonalDataProtection,
  ) {
    const logger = new Logger('Projections');
    this.engine = createProjectionEngine(store, dataSource, allProjections(personalData, config.projectionSpillDir), config, {
      log: (message) => logger.warn(message),
      info: (message) => logger.log(message),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.projectionsInProcess) await this.engine.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.engine.stop();
  }
}
