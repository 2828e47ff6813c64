import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A registration date PostgreSQL cannot store (0000-01-01, written by an earlier version) is kept
 * as NULL in the per-dossier read models rather than stopping them (engine/safe-form.ts).
 */
export class DatesInSafeForm1733356800001 implements MigrationInterface {
  name = 'DatesInSafeForm1733356800001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE read_models.crt_dossiers ALTER COLUMN registered_on DROP NOT NULL');
    await runner.query('ALTER TABLE read_models.dossier_archive ALTER COLUMN registered_on DROP NOT NULL');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE read_models.crt_dossiers ALTER COLUMN registered_on SET NOT NULL');
    await runner.query('ALTER TABLE read_models.dossier_archive ALTER COLUMN registered_on SET NOT NULL');
  }
}
