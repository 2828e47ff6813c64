import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import type { DestinationStream } from 'pino';
import { DataSource } from 'typeorm';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import type { Runtime } from '@app/persistence';
import { PersonalDataProtection } from '@app/personal-data';
import { ArchiveExport } from './archive/archive-export';
import { ArchiveController } from './archive/archive.controller';
import { ArchiveRuns } from './archive/archive-runs.service';
import { AccessLog } from './audit/access-log';
import { AccessLogController } from './audit/access-log.controller';
import { AccessLogInterceptor } from './audit/access-log.interceptor';
import { AuthGuard } from './auth/auth.guard';
import { Authenticator } from './auth/authenticator';
import { TokenVerifier } from './auth/token-verifier';
import { DashboardController } from './dashboard/dashboard.controller';
import {
  ChangeDossierHandler,
  CrtImporter,
  DossierRepository,
  DossierWriter,
  ErasePersonalDataHandler,
  ErasureCompletion,
  NationalRegisterReservations,
  RegisterDossierHandler,
} from '@app/dossiers';
import { DossiersController } from './dossiers/dossiers.controller';
import { ErasureController } from './dossiers/erasure.controller';
import { HealthController } from './health/health.controller';
import { ProblemFilter } from './http/problem.filter';
import { RateLimitGuard } from './http/rate-limit.guard';
import { loggingModule } from './logging/logging';
import { CommandNameInterceptor } from './metrics/http-metrics';
import { meteredEventStore } from './metrics/metered-event-store';
import { Metrics } from './metrics/metrics';
import { MetricsController } from './metrics/metrics.controller';
import {
  ArchiveReader,
  CrtRegistryReader,
  FlowStatisticsReader,
  ProjectionEngineHost,
  STATISTICS_ANSWER_COUNTER,
  type StatisticsAnswerCounter,
} from '@app/read-models';
import { ProjectionsController } from './projections/projections.controller';
import { ProblemsController } from './problems/problems.controller';
import { RegistryController } from './registry/registry.controller';
import { StatisticsController } from './statistics/statistics.controller';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyStore } from './idempotency/idempotency.store';
import { IdempotencyRetention } from './idempotency/idempotency-retention';
import { APP_CONFIG, CLOCK, systemClock, type AppConfig, type Clock } from '@app/platform';

/** What the process opened before Nest starts: Nest wires them, it does not own their lifecycle. */
export interface AppRuntime extends Runtime {
  readonly clock?: Clock;
  /** Default: from the configuration (PERSONAL_DATA_KEY). Tests on a shared event log pass their own. */
  readonly personalData?: PersonalDataProtection;
  /** Where the JSON logs go; default standard output. Tests read them from here. */
  readonly logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(runtime: AppRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        TerminusModule,
        loggingModule(runtime.config, runtime.logDestination),
        ThrottlerModule.forRoot({
          throttlers: [{ ttl: 60_000, limit: runtime.config.rateLimitPerMinute }],
          skipIf: () => runtime.config.rateLimitPerMinute === 0,
          errorMessage: `More than ${runtime.config.rateLimitPerMinute} requests in a minute; wait the Retry-After seconds and try again.`,
        }),
      ],
      controllers: [
        AccessLogController,
        ArchiveController,
        DashboardController,
        DossiersController,
        ErasureController,
        HealthController,
        MetricsController,
        ProblemsController,
        ProjectionsController,
        RegistryController,
        StatisticsController,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: runtime.config },
        Metrics,
        { provide: EVENT_STORE, useFactory: (metrics: Metrics): EventStore => meteredEventStore(runtime.eventStore, metrics), inject: [Metrics] },
        { provide: DataSource, useValue: runtime.dataSource },
        { provide: CLOCK, useValue: runtime.clock ?? systemClock(runtime.config.timeZone) },
        { provide: TokenVerifier, useFactory: (config: AppConfig) => new TokenVerifier(config), inject: [APP_CONFIG] },
        { provide: PersonalDataProtection, useValue: runtime.personalData ?? PersonalDataProtection.fromConfig(runtime.config) },
        Authenticator,
        // In this order: the rate limit counts requests that authentication then refuses.
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_INTERCEPTOR, useClass: CommandNameInterceptor },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        { provide: APP_INTERCEPTOR, useClass: AccessLogInterceptor },
        IdempotencyStore,
        IdempotencyRetention,
        AccessLog,
        ArchiveReader,
        ArchiveRuns,
        ArchiveExport,
        CrtImporter,
        ProjectionEngineHost,
        DossierRepository,
        NationalRegisterReservations,
        RegisterDossierHandler,
        ChangeDossierHandler,
        DossierWriter,
        ErasePersonalDataHandler,
        ErasureCompletion,
        CrtRegistryReader,
        FlowStatisticsReader,
        {
          provide: STATISTICS_ANSWER_COUNTER,
          useFactory: (metrics: Metrics): StatisticsAnswerCounter => (source) => metrics.statisticsAnswers.inc({ source }),
          inject: [Metrics],
        },
      ],
    };
  }
}
