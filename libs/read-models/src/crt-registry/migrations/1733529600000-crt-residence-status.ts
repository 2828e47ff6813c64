import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The CRT registry learns the residence status and since when (ResidenceStatusChanged). No event
 * before it changed a status, so every row it finds is under temporary protection; since when is
 * not in the row (the grant of protection, or the latest reopening), so it stays null until the
 * projection is rebuilt (docs/read-models.md).
 */
export class CrtResidenceStatus1733529600000 implements MigrationInterface {
  name = 'CrtResidenceStatus1733529600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE read_models.crt_dossiers
        ADD COLUMN residence_status text NOT NULL DEFAULT 'temporary-protection',
        ADD COLUMN residence_status_since date`);
    // The projection writes it on every registration; the default only filled the rows above.
    await runner.query('ALTER TABLE read_models.crt_dossiers ALTER COLUMN residence_status DROP DEFAULT');
    await runner.query('CREATE INDEX crt_dossiers_residence_status_idx ON read_models.crt_dossiers (residence_status)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE read_models.crt_dossiers
        DROP COLUMN residence_status,
        DROP COLUMN residence_status_since`);
  }
}
