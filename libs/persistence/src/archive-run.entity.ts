import { Column, Entity, PrimaryColumn } from 'typeorm';

export const ARCHIVE_RUN_STATUSES = ['running', 'completed'] as const;
export type ArchiveRunStatus = (typeof ARCHIVE_RUN_STATUSES)[number];

/**
 * One archive run (POST /archive/runs): who asked for what, and how far it got. A run that
 * stopped half-way (a crash, the event store away) stays `running` with an expired lease; asking
 * for the same run again resumes it under the same id.
 */
@Entity({ name: 'archive_runs' })
export class ArchiveRun {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'text', name: 'requested_by' })
  requestedBy: string;

  @Column({ type: 'timestamptz', name: 'started_at' })
  startedAt: Date;

  /** Archive dossiers whose person left before this date; null with allDossiers. */
  @Column({ type: 'date', name: 'closed_before', nullable: true })
  closedBefore: string | null;

  @Column({ type: 'boolean', name: 'all_dossiers' })
  allDossiers: boolean;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  /** ARCHIVE_RETENTION when the run started: retainUntil of what it archives. */
  @Column({ type: 'text' })
  retention: string;

  @Column({ type: 'date', name: 'retain_until' })
  retainUntil: string;

  @Column({ type: 'text' })
  status: ArchiveRunStatus;

  @Column({ type: 'integer' })
  archived: number;

  /** Dossiers left alone, by the rule that kept them out (already-archived, not-left, …). */
  @Column({ type: 'jsonb' })
  skipped: Record<string, number>;

  /** Dossiers that could not be archived for another reason, and why (first 100). */
  @Column({ type: 'jsonb' })
  failures: Array<{ dossierId: string; error: string }>;

  @Column({ type: 'integer' })
  failed: number;

  /** Until then the run is being worked on; past it, asking for it again resumes it. */
  @Column({ type: 'timestamptz', name: 'lease_until' })
  leaseUntil: Date;

  @Column({ type: 'timestamptz', name: 'finished_at', nullable: true })
  finishedAt: Date | null;
}
