import type { MigrationInterface, QueryRunner } from 'typeorm';
import { applyFlowCountChanges, currentFlowEventsOf } from '../aggregates/flows';

/** Dossiers whose counts are added per statement while the table is filled. */
const DOSSIERS_PER_STEP = 5000;

/**
 * The flows' counts per calendar period, and per day of each period (aggregates/flows.ts), which
 * the flows read for whole periods, and for periods a range clips, instead of every event. Filled here from the rows of stat_events valid now, dossier by
 * dossier with the projection's own code, so an upgrade needs no rebuild. A count is unique per
 * interval kind, grouping level, period, group ('' without one), measure and category (and day).
 */
export class FlowStatisticsFlowCounts1733529600050 implements MigrationInterface {
  name = 'FlowStatisticsFlowCounts1733529600050';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE read_models.stat_flow_counts (
        interval  text NOT NULL,
        period    date NOT NULL,
        level     text NOT NULL,
        grp       text NOT NULL,
        measure   text NOT NULL,
        category  text NOT NULL,
        events    integer NOT NULL,
        persons   integer NOT NULL,
        CONSTRAINT stat_flow_counts_pkey PRIMARY KEY (interval, level, period, grp, measure, category)
      )`);
    await runner.query(`
      CREATE TABLE read_models.stat_flow_days (
        interval       text NOT NULL,
        level          text NOT NULL,
        period         date NOT NULL,
        day            date NOT NULL,
        grp            text NOT NULL,
        measure        text NOT NULL,
        category       text NOT NULL,
        events         integer NOT NULL,
        first_persons  integer NOT NULL,
        last_persons   integer NOT NULL,
        CONSTRAINT stat_flow_days_pkey PRIMARY KEY (interval, level, period, day, grp, measure, category)
      )`);
    const context = { schema: 'read_models', query: (sql: string, parameters?: unknown[]) => runner.query(sql, parameters) };
    for (let after: string | null = null; ; ) {
      const rows = (await runner.query(
        `SELECT DISTINCT dossier_id, dossier_id::text AS id FROM read_models.stat_events
          WHERE recorded_to IS NULL AND ($1::uuid IS NULL OR dossier_id > $1::uuid) ORDER BY dossier_id LIMIT ${DOSSIERS_PER_STEP}`,
        [after],
      )) as Array<{ id: string }>;
      if (rows.length === 0) return;
      const ids = rows.map((row) => row.id);
      await applyFlowCountChanges(context, [], await currentFlowEventsOf(context, ids));
      after = ids[ids.length - 1];
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE read_models.stat_flow_days');
    await runner.query('DROP TABLE read_models.stat_flow_counts');
  }
}
