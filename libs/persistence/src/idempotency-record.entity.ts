import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** One POST sent with an Idempotency-Key, and the response it got once finished. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyRecord {
  /** Keys are per caller: two users may pick the same key. */
  @PrimaryColumn({ type: 'text' })
  actor: string;

  @PrimaryColumn({ type: 'text' })
  key: string;

  /** SHA-256 of method, path and body: the same key with another request is refused. */
  @Column({ type: 'text' })
  fingerprint: string;

  @Column({ type: 'text' })
  state: 'in-progress' | 'completed';

  /** While in progress: after this moment a retry may take the request over (its first run died). */
  @Column({ type: 'timestamptz', name: 'lease_until' })
  leaseUntil: Date;

  @Column({ type: 'integer', name: 'response_status', nullable: true })
  responseStatus: number | null;

  @Column({ type: 'jsonb', name: 'response_headers', nullable: true })
  responseHeaders: Record<string, string> | null;

  @Column({ type: 'jsonb', name: 'response_body', nullable: true })
  responseBody: unknown;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;
}
