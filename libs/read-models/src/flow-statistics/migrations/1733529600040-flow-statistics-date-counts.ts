import type { MigrationInterface, QueryRunner } from 'typeorm';
import { applyDeltas, DATE_COUNTS, dateCountDeltas, STAT_DATE_COUNTS_TABLE, storedDossierRows } from '../aggregates';

/** Dossiers read per step of the fill. */
const DOSSIERS_PER_STEP = 2000;

/**
 * The counts on a date kept as their changes per day, month and year (aggregates/date-counts.ts),
 * behind the stock, VDAB's pair and the funnel. Filled here from the rows valid now, with the
 * projection's own code, so an upgrade needs no rebuild.
 */
export class FlowStatisticsDateCounts1733529600040 implements MigrationInterface {
  name = 'FlowStatisticsDateCounts1733529600040';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE read_models.${STAT_DATE_COUNTS_TABLE} (
        statistic text NOT NULL,
        level     text NOT NULL,
        grain     text NOT NULL,
        bucket    date NOT NULL,
        grp       text NOT NULL,
        cohort    text NOT NULL,
        measure   text NOT NULL,
        n         integer NOT NULL,
        CONSTRAINT ${STAT_DATE_COUNTS_TABLE}_pkey PRIMARY KEY (statistic, level, grain, bucket, grp, cohort, measure)
      )`);
    const context = { schema: 'read_models', query: (sql: string, parameters?: unknown[]) => runner.query(sql, parameters) };
    let after: string | null = null;
    for (;;) {
      const rows = (await runner.query(
        `SELECT DISTINCT dossier_id::text AS id FROM read_models.stat_events WHERE $1::uuid IS NULL OR dossier_id > $1::uuid ORDER BY 1 LIMIT ${DOSSIERS_PER_STEP}`,
        [after],
      )) as Array<{ id: string }>;
      if (rows.length === 0) return;
      await applyDeltas(context, DATE_COUNTS, dateCountDeltas([], await storedDossierRows(context, rows.map((row) => row.id))));
      after = rows[rows.length - 1].id;
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE read_models.${STAT_DATE_COUNTS_TABLE}`);
  }
}
