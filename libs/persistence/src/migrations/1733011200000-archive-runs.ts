import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ArchiveRuns1733011200000 implements MigrationInterface {
  name = 'ArchiveRuns1733011200000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE archive_runs (
        id            uuid        PRIMARY KEY,
        requested_by  text        NOT NULL,
        started_at    timestamptz NOT NULL,
        closed_before date,
        all_dossiers  boolean     NOT NULL,
        reason        text,
        retention     text        NOT NULL,
        retain_until  date        NOT NULL,
        status        text        NOT NULL CHECK (status IN ('running', 'completed')),
        archived      integer     NOT NULL DEFAULT 0,
        skipped       jsonb       NOT NULL DEFAULT '{}',
        failures      jsonb       NOT NULL DEFAULT '[]',
        failed        integer     NOT NULL DEFAULT 0,
        lease_until   timestamptz NOT NULL,
        finished_at   timestamptz,
        CHECK ((closed_before IS NULL) = all_dossiers)
      )`);
    await runner.query('CREATE INDEX archive_runs_started_at_idx ON archive_runs (started_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE archive_runs');
  }
}
