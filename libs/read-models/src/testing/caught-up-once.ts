import type { DataSource } from 'typeorm';
import type { EventStore } from '@app/event-store';
import { ProjectionEngine, type Projection } from '@app/projection-engine';
import { until } from '@app/testing';

/** Starts an engine running the projection, waits until it has caught up with the log, and stops it. */
export async function caughtUpOnce(
  store: EventStore,
  dataSource: DataSource,
  projection: Projection,
  options: ConstructorParameters<typeof ProjectionEngine>[3],
): Promise<void> {
  const engine = new ProjectionEngine(store, dataSource, [projection], options);
  await engine.start();
  try {
    await until(() => engine.waitUntilCaughtUp(projection.name, 0), (done) => done);
  } finally {
    await engine.stop();
  }
}
