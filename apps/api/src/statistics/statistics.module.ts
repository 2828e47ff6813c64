import { Module } from '@nestjs/common';
import { ReadModelsModule } from '@app/read-models';
import { StatisticsController } from './statistics.controller';

/** /statistics: stock, flows, funnel, outlook and the suppression threshold, from the flow-statistics read model. */
@Module({ imports: [ReadModelsModule], controllers: [StatisticsController] })
export class StatisticsModule {}
