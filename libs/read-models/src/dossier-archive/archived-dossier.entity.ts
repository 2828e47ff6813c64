import { Column, Entity, PrimaryColumn } from 'typeorm';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';

/**
 * A row of the archive index, for reading: every dossier has one, an archived dossier has its
 * archive columns set. The archive projection writes it with SQL; the table comes from a
 * migration. Dates are YYYY-MM-DD strings.
 */
@Entity({ schema: READ_MODEL_SCHEMA, name: 'dossier_archive' })
export class ArchivedDossierRow {
  @PrimaryColumn({ type: 'uuid', name: 'dossier_id' })
  dossierId: string;

  /** Stream version of the last event applied. */
  @Column({ type: 'integer' })
  version: number;

  /** NIS code where the person is registered. */
  @Column({ type: 'text' })
  municipality: string;

  @Column({ type: 'text', name: 'province_nis', nullable: true })
  provinceNis: string | null;

  /** Null when the event's date is one PostgreSQL cannot store (a safe form, docs/projections.md). */
  @Column({ type: 'date', name: 'registered_on', nullable: true })
  registeredOn: string | null;

  @Column({ type: 'date', name: 'left_on', nullable: true })
  leftOn: string | null;

  @Column({ type: 'text', name: 'left_reason', nullable: true })
  leftReason: string | null;

  @Column({ type: 'date', name: 'archived_on', nullable: true })
  archivedOn: string | null;

  /** Version of the DossierArchived event: the dossier "as archived" is the stream up to it. */
  @Column({ type: 'integer', name: 'archived_version', nullable: true })
  archivedVersion: number | null;

  @Column({ type: 'uuid', name: 'run_id', nullable: true })
  runId: string | null;

  @Column({ type: 'date', name: 'closed_before', nullable: true })
  closedBefore: string | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'date', name: 'retain_until', nullable: true })
  retainUntil: string | null;

  @Column({ type: 'date', name: 'personal_data_erased_on', nullable: true })
  personalDataErasedOn: string | null;

  @Column({ type: 'timestamptz', name: 'last_recorded_at' })
  lastRecordedAt: Date;
}
