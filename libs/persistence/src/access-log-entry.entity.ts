import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Who was shown which dossiers' personal data, when, and why. Append-only: a trigger refuses
 * UPDATE and DELETE (migration 1732752000000), and no endpoint writes to it.
 */
@Entity({ name: 'access_log' })
export class AccessLogEntry {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'text' })
  actor: string;

  @Column({ type: 'text', array: true })
  roles: string[];

  @Column({ type: 'text' })
  method: string;

  /** Path only: a query string may itself hold personal data (a searched name). */
  @Column({ type: 'text' })
  path: string;

  /** The X-Purpose header. */
  @Column({ type: 'text', nullable: true })
  purpose: string | null;

  @Column({ type: 'uuid', array: true, name: 'dossier_ids' })
  dossierIds: string[];

  @Column({ type: 'text', name: 'correlation_id' })
  correlationId: string;
}
