import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The flow statistics learn residence statuses: the status a ResidenceStatusChanged moves to and
 * the one it replaces, and each period's status. No event before it changed a status, so every
 * period it finds is under temporary protection, as the rebuild would make it.
 */
export class FlowStatisticsResidenceStatus1733529600001 implements MigrationInterface {
  name = 'FlowStatisticsResidenceStatus1733529600001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE read_models.stat_events
        ADD COLUMN residence_status text,
        ADD COLUMN previous_residence_status text`);
    await runner.query(`ALTER TABLE read_models.stat_dossier_periods ADD COLUMN residence_status text NOT NULL DEFAULT 'temporary-protection'`);
    // The projection writes it for every period; the default only filled the rows above.
    await runner.query('ALTER TABLE read_models.stat_dossier_periods ALTER COLUMN residence_status DROP DEFAULT');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE read_models.stat_dossier_periods DROP COLUMN residence_status');
    await runner.query(`
      ALTER TABLE read_models.stat_events
        DROP COLUMN residence_status,
        DROP COLUMN previous_residence_status`);
  }
}
