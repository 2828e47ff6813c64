import { CHECKPOINT_TABLE } from '@app/projection-engine';

/**
 * A read model's version as its checkpoint row `c` shows it: the position of the last batch
 * applied and when (every batch moves both, and so does a rebuild's switch). An answer computed
 * from the read model stays right while this is unchanged.
 */
export const CHECKPOINT_VERSION_SQL = `c.position_commit::text || '/' || c.position_prepare::text || '@' || c.updated_at::text`;

/** A scalar subquery: the version of the read model whose checkpoint is named by parameter `$n`. */
export const readModelVersionSubquery = (parameter: number): string =>
  `(SELECT ${CHECKPOINT_VERSION_SQL} FROM ${CHECKPOINT_TABLE} c WHERE c.name = $${parameter})`;
