import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staff list the dossiers of their municipality, often of one stage, newest registrations first
 * (GET /dossiers?municipality=&stage=&sort=-registeredOn, the default sort). These indexes hold
 * the filter and the sort together, so such a page is read in order from the index and stops
 * after the page (no sort of every matching row), and its total is counted from the index alone.
 * (municipality, stage) stays a prefix for the municipality summary's counts per stage.
 */
export class CrtListIndexes1733443201400 implements MigrationInterface {
  name = 'CrtListIndexes1733443201400';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX read_models.crt_dossiers_municipality_idx');
    await runner.query('CREATE INDEX crt_dossiers_municipality_idx ON read_models.crt_dossiers (municipality, stage, registered_on, dossier_id)');
    await runner.query(
      'CREATE INDEX crt_dossiers_municipality_registered_on_idx ON read_models.crt_dossiers (municipality, registered_on, dossier_id)',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX read_models.crt_dossiers_municipality_registered_on_idx');
    await runner.query('DROP INDEX read_models.crt_dossiers_municipality_idx');
    await runner.query('CREATE INDEX crt_dossiers_municipality_idx ON read_models.crt_dossiers (municipality, stage)');
  }
}
