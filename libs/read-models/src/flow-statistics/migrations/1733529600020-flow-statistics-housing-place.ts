import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The flow statistics learn where a person is housed, for grouping by housing (`by=housing`):
 * each period's housing municipality and its province, and for each event the housing it counts
 * in. Rows kept before have none (as if nobody were housed): rebuild flow-statistics after
 * upgrading (docs/read-models.md).
 */
export class FlowStatisticsHousingPlace1733529600020 implements MigrationInterface {
  name = 'FlowStatisticsHousingPlace1733529600020';

  async up(runner: QueryRunner): Promise<void> {
    for (const table of ['stat_events', 'stat_dossier_periods']) {
      await runner.query(`ALTER TABLE read_models.${table} ADD COLUMN housing_municipality text, ADD COLUMN housing_province_nis text`);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['stat_events', 'stat_dossier_periods']) {
      await runner.query(`ALTER TABLE read_models.${table} DROP COLUMN housing_municipality, DROP COLUMN housing_province_nis`);
    }
  }
}
