import { Global, Inject, Injectable, Module, type DynamicModule, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { DataSource } from 'typeorm';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import type { Runtime } from '@app/persistence';
import { ErasedKeyListener, PersonalDataProtection } from '@app/personal-data';
import { clientConfigOf } from '@app/projection-engine';
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
 * The process hears of every personal-data key erased, by any instance, for as long as it runs:
 * until it does, dossier reads keep no keys (docs/erasure.md).
 */
@Injectable()
class ErasedKeysHeard implements OnModuleInit, OnModuleDestroy {
  private readonly listener: ErasedKeyListener;

  constructor(@Inject(DataSource) dataSource: DataSource, @Inject(PersonalDataProtection) personalData: PersonalDataProtection) {
    this.listener = new ErasedKeyListener(clientConfigOf(dataSource), personalData);
  }

  onModuleInit(): Promise<void> {
    return this.listener.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.listener.stop();
  }
}

/**
 * The opened runtime as every module of the process gets it injected, the API's and the command
 * line's alike: the configuration (APP_CONFIG), the clock, PostgreSQL (DataSource), the event store
 * (EVENT_STORE, its appends and failures counted in the metrics), personal-data protection, and
 * the metrics themselves, one registry for the process; and, while it runs, the notices of
 * personal-data keys erased (ErasedKeysHeard).
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
      ErasedKeysHeard,
    ];
    return { module: RuntimeModule, providers, exports: providers.map((provider) => ('provide' in provider ? provider.provide : provider)) };
  }
}
