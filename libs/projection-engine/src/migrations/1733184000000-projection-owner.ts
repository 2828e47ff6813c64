import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which instance runs a projection: set by the instance that takes the projection's advisory
 * lock (libs/projection-engine/src/projection-lock.ts), cleared when it lets go cleanly. A
 * process that dies leaves its name behind; GET /projections shows an owner only while its lock
 * is held.
 */
export class ProjectionOwner1733184000000 implements MigrationInterface {
  name = 'ProjectionOwner1733184000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE read_models.projection_checkpoints
        ADD COLUMN owner text,
        ADD COLUMN owner_since timestamptz`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE read_models.projection_checkpoints
        DROP COLUMN owner,
        DROP COLUMN owner_since`);
  }
}
