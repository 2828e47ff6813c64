import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { DataSource } from 'typeorm';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import type { Runtime } from '@app/persistence';
import { PersonalDataProtection } from '@app/personal-data';
import { APP_CONFIG, CLOCK, systemClock, type Clock } from '@app/platform';
import { STATISTICS_ANSWER_COUNTER, type StatisticsAnswerCounter } from '@app/read-models';
import { meteredEventStore } from './observability/metrics/metered-event-store';
import { Metrics } from './observability/metrics/metrics';

/** What the process opened before Nest starts: Nest wires them, it does not own their lifecycle. */
export interface AppRuntime extends Runtime {
  readonly clock?: Clock;
  /** Default: from the configuration (PERSONAL_DATA_KEY). Tests on a shared event log pass their own. */
  readonly personalData?: PersonalDataProtection;
  /** Where the JSON logs go; default standard output. Tests read them from here. */
  readonly logDestination?: DestinationStream;
}

/**
 * The opened runtime as every module of the process gets it injected, the API's and the command
 * line's alike: the configuration (APP_CONFIG), the clock, PostgreSQL (DataSource), the event store
 * (EVENT_STORE, its appends and failures counted in the metrics), personal-data protection, and
 * the metrics themselves, one registry for the process.
 */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(runtime: AppRuntime): DynamicModule {
    const providers = [
      { provide: APP_CONFIG, useValue: runtime.config },
      Metrics,
      { provide: EVENT_STORE, useFactory: (metrics: Metrics): EventStore => meteredEventStore(runtime.eventStore, metrics), inject: [Metrics] },
      { provide: DataSource, useValue: runtime.dataSource },
      { provide: CLOCK, useValue: runtime.clock ?? systemClock(runtime.config.timeZone) },
      { provide: PersonalDataProtection, useValue: runtime.personalData ?? PersonalDataProtection.fromConfig(runtime.config) },
      {
        provide: STATISTICS_ANSWER_COUNTER,
        useFactory: (metrics: Metrics): StatisticsAnswerCounter => (source) => metrics.statisticsAnswers.inc({ source }),
        inject: [Metrics],
      },
    ];
    return { module: RuntimeModule, providers, exports: providers.map((provider) => ('provide' in provider ? provider.provide : provider)) };
  }
}
