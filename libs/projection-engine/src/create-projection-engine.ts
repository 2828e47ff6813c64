import type { DataSource } from 'typeorm';
import type { EventStore } from '@app/event-store';
import type { AppConfig } from '@app/platform';
import type { Projection } from './projection';
import { ProjectionEngine } from './projection-engine';

/**
 * The engine as every process of the service runs it (the API, apps/projector, the command
 * line): PROJECTION_BATCH_SIZE events a batch, a second before a failed batch is tried again,
 * PROJECTION_MEMORY_ROWS rows in memory in a one-pass fold.
 * `log` gets warnings, `info` the rest.
 */
export function createProjectionEngine(
  store: EventStore,
  dataSource: DataSource,
  projections: readonly Projection[],
  config: Pick<AppConfig, 'projectionBatchSize' | 'projectionMemoryRows'>,
  logs: { log: (message: string) => void; info: (message: string) => void },
): ProjectionEngine {
  return new ProjectionEngine(store, dataSource, projections, {
    batchSize: config.projectionBatchSize,
    rebuildMemoryRows: config.projectionMemoryRows,
    retryDelayMs: 1000,
    ...logs,
  });
}
