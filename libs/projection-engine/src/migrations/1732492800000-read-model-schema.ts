import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ReadModelSchema1732492800000 implements MigrationInterface {
  name = 'ReadModelSchema1732492800000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE SCHEMA IF NOT EXISTS read_models');
    // Positions are EventStoreDB's unsigned 64-bit commit/prepare pairs (PostgreSQL: one number twice).
    await runner.query(`
      CREATE TABLE read_models.projection_checkpoints (
        name                   text          PRIMARY KEY,
        position_commit        numeric(20,0) NOT NULL DEFAULT 0,
        position_prepare       numeric(20,0) NOT NULL DEFAULT 0,
        state                  text          NOT NULL DEFAULT 'catching-up'
                               CHECK (state IN ('catching-up', 'live', 'stopped', 'rebuilding')),
        error                  text,
        error_position_commit  numeric(20,0),
        error_position_prepare numeric(20,0),
        last_event_created_at  timestamptz,
        updated_at             timestamptz   NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE read_models.projection_checkpoints');
  }
}
