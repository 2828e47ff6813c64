import type { LogPosition } from '@app/event-store';
import type { ProjectionState } from './projection';
import { READ_MODEL_SCHEMA } from './projection';

export const CHECKPOINT_TABLE = `${READ_MODEL_SCHEMA}.projection_checkpoints`;

export interface CheckpointRow {
  name: string;
  position_commit: string;
  position_prepare: string;
  state: ProjectionState;
  error: string | null;
  error_position_commit: string | null;
  error_position_prepare: string | null;
  /** The event a stopped projection stopped at. */
  error_event_id: string | null;
  last_event_created_at: Date | null;
  updated_at: Date;
  /** The instance that last took the projection's lock (projection-lock.ts); null once it let go cleanly. */
  owner?: string | null;
  owner_since?: Date | null;
}

export function positionOf(row: Pick<CheckpointRow, 'position_commit' | 'position_prepare'>): LogPosition {
  return { commit: BigInt(row.position_commit), prepare: BigInt(row.position_prepare) };
}

export function errorPositionOf(row: CheckpointRow): LogPosition | null {
  return row.error_position_commit === null
    ? null
    : { commit: BigInt(row.error_position_commit), prepare: BigInt(row.error_position_prepare ?? row.error_position_commit) };
}

/** Key of the checkpoint a rebuild keeps for its fresh copy beside the live one. */
export const rebuildCheckpointName = (projection: string) => `${projection}#rebuild`;

