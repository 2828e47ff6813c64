import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The archive index: one row per dossier with what archive queries filter on, and the archive
 * facts once it is archived. No personal data: names and history are read from the events.
 * No serial columns and no foreign keys, as a rebuild copies the table with LIKE … INCLUDING ALL.
 */
export class DossierArchive1732924800000 implements MigrationInterface {
  name = 'DossierArchive1732924800000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE read_models.dossier_archive (
        dossier_id              uuid        NOT NULL,
        version                 integer     NOT NULL,
        municipality            text        NOT NULL,
        province_nis            text,
        registered_on           date        NOT NULL,
        left_on                 date,
        left_reason             text,
        archived_on             date,
        archived_version        integer,
        run_id                  uuid,
        closed_before           date,
        reason                  text,
        retain_until            date,
        personal_data_erased_on date,
        last_recorded_at        timestamptz NOT NULL,
        CONSTRAINT dossier_archive_pkey PRIMARY KEY (dossier_id)
      )`);
    // Archive runs look for what is left to archive; listings and the export page through what is archived.
    await runner.query(
      'CREATE INDEX dossier_archive_open_idx ON read_models.dossier_archive (left_on, dossier_id) WHERE archived_on IS NULL',
    );
    await runner.query(
      'CREATE INDEX dossier_archive_archived_idx ON read_models.dossier_archive (archived_on, dossier_id) WHERE archived_on IS NOT NULL',
    );
    await runner.query(
      'CREATE INDEX dossier_archive_retention_idx ON read_models.dossier_archive (retain_until, dossier_id) WHERE personal_data_erased_on IS NULL',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE read_models.dossier_archive');
  }
}
