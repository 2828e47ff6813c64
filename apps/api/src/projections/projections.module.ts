import { Module } from '@nestjs/common';
import { ReadModelsModule } from '@app/read-models';
import { ProjectionsController } from './projections.controller';

/** /projections: each projection's state and lag, and rebuilds. */
@Module({ imports: [ReadModelsModule], controllers: [ProjectionsController] })
export class ProjectionsModule {}
