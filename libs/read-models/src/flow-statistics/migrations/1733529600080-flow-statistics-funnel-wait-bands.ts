import type { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'read_models.stat_date_counts';
/** The band width of this layout (aggregates/date-counts.ts WAIT_BAND_DAYS when it was written: a later width needs a migration of its own). */
const BAND_DAYS = 32;

/**
 * The funnel's waits in stat_date_counts kept in bands (aggregates/date-counts.ts): each cell
 * `wait:<i>:<days>` of the statistic `funnel` moves, as it is, under the statistic
 * `funnel-wait:<i>:<band>`, the funnel gets a cell `band:<i>:<band>` per band, the sum of its
 * days' cells at the same key, and its `count:<i>` of a later step (i > 0) goes: it is the sum
 * of the step's bands. Every cell is a sum of the dossiers' contributions, so the sums are what
 * the projection's code would write from the current rows: no rebuild, no dossier read.
 * Reverted, the counts come back as the sums of the bands, the bands go and the cells move back.
 */
export class FlowStatisticsFunnelWaitBands1733529600080 implements MigrationInterface {
  name = 'FlowStatisticsFunnelWaitBands1733529600080';

  async up(runner: QueryRunner): Promise<void> {
    const step = "split_part(measure, ':', 2)";
    const band = `floor(split_part(measure, ':', 3)::int / ${BAND_DAYS}.0)::int`;
    await runner.query(`
      INSERT INTO ${TABLE} (statistic, level, grain, bucket, grp, cohort, measure, n)
      SELECT 'funnel', level, grain, bucket, grp, cohort, 'band:' || ${step} || ':' || ${band}, sum(n)
        FROM ${TABLE} WHERE statistic = 'funnel' AND starts_with(measure, 'wait:')
       GROUP BY level, grain, bucket, grp, cohort, ${step}, ${band}
      HAVING sum(n) <> 0`);
    await runner.query(`
      UPDATE ${TABLE} SET statistic = 'funnel-wait:' || ${step} || ':' || ${band}
       WHERE statistic = 'funnel' AND starts_with(measure, 'wait:')`);
    await runner.query(`DELETE FROM ${TABLE} WHERE statistic = 'funnel' AND starts_with(measure, 'count:') AND measure <> 'count:0'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      INSERT INTO ${TABLE} (statistic, level, grain, bucket, grp, cohort, measure, n)
      SELECT 'funnel', level, grain, bucket, grp, cohort, 'count:' || split_part(measure, ':', 2), sum(n)
        FROM ${TABLE} WHERE statistic = 'funnel' AND starts_with(measure, 'band:')
       GROUP BY level, grain, bucket, grp, cohort, split_part(measure, ':', 2)
      HAVING sum(n) <> 0`);
    await runner.query(`DELETE FROM ${TABLE} WHERE statistic = 'funnel' AND starts_with(measure, 'band:')`);
    await runner.query(`UPDATE ${TABLE} SET statistic = 'funnel' WHERE starts_with(statistic, 'funnel-wait:')`);
  }
}
