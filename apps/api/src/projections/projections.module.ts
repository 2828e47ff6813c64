import { Module } from '@nestjs/common';
import { ReadModelsModule } from '@app/read-models';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { ProjectionsController } from './projections.controller';

/** /projections: each projection's state and lag, and rebuilds. */
@Module({ imports: [ReadModelsModule, IdempotencyModule], controllers: [ProjectionsController] })
export class ProjectionsModule {}
