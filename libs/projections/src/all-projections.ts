import { archiveProjection } from './archive/archive.projection';
import { crtRegistryProjection } from './crt-registry/crt-registry.projection';
import type { Projection } from './engine/projection';
import { flowStatisticsProjection } from './flow-statistics/flow-statistics.projection';

/** Every projection the service runs, in the order they are listed by GET /projections. */
export function allProjections(): Projection[] {
  return [crtRegistryProjection(), flowStatisticsProjection(), archiveProjection()];
}
