import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Idempotency keys are removed once IDEMPOTENCY_RETENTION has passed: found by age. */
export class IdempotencyKeysByAge1733270400000 implements MigrationInterface {
  name = 'IdempotencyKeysByAge1733270400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX idempotency_keys_created_at_idx');
  }
}
