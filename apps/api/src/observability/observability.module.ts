import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ReadModelsModule } from '@app/read-models';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';

/**
 * /health and /metrics. The metrics registry is the runtime's (RuntimeModule); the logs are set up
 * by createApp (processLogger, requestLogMiddleware), for the whole process.
 */
@Module({ imports: [TerminusModule, ReadModelsModule], controllers: [HealthController, MetricsController] })
export class ObservabilityModule {}
