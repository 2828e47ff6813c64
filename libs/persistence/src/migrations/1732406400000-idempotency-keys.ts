import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IdempotencyKeys1732406400000 implements MigrationInterface {
  name = 'IdempotencyKeys1732406400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE idempotency_keys (
        actor            text        NOT NULL,
        key              text        NOT NULL,
        fingerprint      text        NOT NULL,
        state            text        NOT NULL CHECK (state IN ('in-progress', 'completed')),
        lease_until      timestamptz NOT NULL,
        response_status  integer,
        response_headers jsonb,
        response_body    jsonb,
        created_at       timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (actor, key)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE idempotency_keys');
  }
}
