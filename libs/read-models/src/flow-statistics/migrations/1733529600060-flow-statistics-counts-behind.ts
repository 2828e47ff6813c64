import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * stat_counts_behind: a row while the flow statistics' aggregates (stat_date_counts,
 * stat_flow_counts, stat_flow_days) lag the rows they count, because a one-pass fold holds their
 * changes in memory to write them once at its end (flow-statistics.projection.ts). Empty
 * otherwise, and so after an upgrade: the counts are in step with the rows.
 */
export class FlowStatisticsCountsBehind1733529600060 implements MigrationInterface {
  name = 'FlowStatisticsCountsBehind1733529600060';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE read_models.stat_counts_behind (
        behind boolean NOT NULL DEFAULT true,
        CONSTRAINT stat_counts_behind_pkey PRIMARY KEY (behind),
        CONSTRAINT stat_counts_behind_one_row CHECK (behind)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE read_models.stat_counts_behind');
  }
}
