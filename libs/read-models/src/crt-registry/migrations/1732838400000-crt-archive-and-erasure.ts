import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The CRT registry learns about archiving and erasure: when a dossier was archived, and when its
 * personal data was erased (from then on the names read "[erased]" and the birth date is gone).
 */
export class CrtArchiveAndErasure1732838400000 implements MigrationInterface {
  name = 'CrtArchiveAndErasure1732838400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE read_models.crt_dossiers
        ADD COLUMN archived_on date,
        ADD COLUMN personal_data_erased_on date,
        ALTER COLUMN birth_date DROP NOT NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE read_models.crt_dossiers
        DROP COLUMN archived_on,
        DROP COLUMN personal_data_erased_on`);
  }
}
