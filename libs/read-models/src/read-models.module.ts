import { Module } from '@nestjs/common';
import { ArchiveReader } from './dossier-archive/archive.reader';
import { CrtRegistryReader } from './crt-registry/crt-registry.reader';
import { FlowStatisticsReader } from './flow-statistics/queries/flow-statistics.reader';
import { ProjectionEngineHost } from './projection-engine-host';

/**
 * The read models in a Nest process: the engine that keeps them (it runs the projections here
 * unless PROJECTIONS_IN_PROCESS=false) and the readers of each. Needs the runtime's providers
 * (EVENT_STORE, DataSource, APP_CONFIG, PersonalDataProtection; STATISTICS_ANSWER_COUNTER if the
 * host counts statistics answers) from a global module of the host.
 */
@Module({
  providers: [ProjectionEngineHost, CrtRegistryReader, FlowStatisticsReader, ArchiveReader],
  exports: [ProjectionEngineHost, CrtRegistryReader, FlowStatisticsReader, ArchiveReader],
})
export class ReadModelsModule {}
