import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The function's name as aggregates/date-counts.ts calls it (DATE_COUNTS_READ_SQL; a migration keeps its own text, frozen). */
const FUNCTION = 'read_models.stat_date_counts_on';

/**
 * The read of kept counts (aggregates/date-counts.ts dateCountCellsOn) as a function, so that the
 * service prepares its call once per connection while the read keeps its planner settings:
 *
 * - `max_parallel_workers_per_gather = 0` and `enable_sort = off`, as the read had them locally
 *   (`SET LOCAL`) since the fourth session. Still needed: on the bench's table at 100,000 dossiers
 *   the stock on one date was planned with two parallel workers without them (53 ms against
 *   0.22), and the other reads sorted where they hashed (bench/README.md, "Computed range
 *   answers: the date counts prepared, validation, VDAB's points (fourteenth session)"). A
 *   function's `SET` holds them for its statements alone, which a prepared statement of the read
 *   itself could not have (`SET LOCAL` needs them in its transaction: the simple protocol).
 * - `plan_cache_mode = force_generic_plan`: PL/pgSQL prepares each statement below once per
 *   connection; the generic plan (a nested loop over the spans, each an index range) is the one the
 *   read wants for every question, and without it PostgreSQL kept planning custom ones.
 *
 * The spans come as arrays (grain, first and last bucket, +1 or -1 for one subtracted), each
 * read by a range of the primary key in a LATERAL subquery (OFFSET 0 keeps it a nested loop: a
 * join of the spans with the table was planned as a hash join over every row of the statistic).
 * The measures and the cohorts' bounds are conditions of the index scan (VDAB's population reads
 * its half of the rows; a cohort's bounds let PostgreSQL 18 skip between groups), so each
 * combination of them is a statement of its own. The answer is the rows as one text (fields
 * joined by U+001F, rows by U+001E) and their count, as aggregates/rows-as-text.ts reads them; a
 * row is its run (grain and bucket, empty for one date), its cell (group, cohort or empty, measure:
 * tab-separated) and its sum. A later change of the read is a migration of its own.
 */
export class FlowStatisticsDateCountsRead1733529600090 implements MigrationInterface {
  name = 'FlowStatisticsDateCountsRead1733529600090';

  async up(runner: QueryRunner): Promise<void> {
    const read = (measured: boolean, cohorts: 'none' | 'from' | 'both') => `
      RETURN QUERY
      SELECT string_agg(coalesce(r.grain || r.bucket::text, '') || chr(31) || r.grp || chr(9) || r.cohort || chr(9) || r.measure || chr(31) || r.n::text, chr(30)), count(*)::int
        FROM (SELECT CASE WHEN p_several THEN c.grain END AS grain, CASE WHEN p_several THEN c.bucket END AS bucket, c.grp,
                     CASE WHEN p_per_cohort THEN c.cohort ELSE '' END AS cohort, c.measure, sum(s.sign * c.n)::int AS n
                FROM unnest(p_grains, p_froms, p_tos, p_signs) AS s (grain, from_day, to_day, sign),
                     LATERAL (SELECT c.grain, c.bucket, c.grp, c.cohort, c.measure, c.n FROM read_models.stat_date_counts c
                               WHERE c.statistic = ANY(p_statistics) AND c.level = p_level AND c.grain = s.grain AND c.bucket BETWEEN s.from_day AND s.to_day
                                 ${measured ? 'AND c.measure = ANY(p_measures)' : ''}
                                 ${cohorts === 'none' ? '' : "AND c.cohort >= coalesce(p_cohort_from, '')"} ${cohorts === 'both' ? 'AND c.cohort <= p_cohort_to' : ''}
                              OFFSET 0) AS c
               GROUP BY 1, 2, 3, 4, 5 HAVING sum(s.sign * c.n) <> 0) AS r;`;
    const byCohorts = (measured: boolean) => `
      IF p_cohort_from IS NULL AND p_cohort_to IS NULL THEN ${read(measured, 'none')}
      ELSIF p_cohort_to IS NULL THEN ${read(measured, 'from')}
      ELSE ${read(measured, 'both')}
      END IF;`;
    await runner.query(`
      CREATE FUNCTION ${FUNCTION}(
        p_statistics text[], p_level text, p_grains text[], p_froms date[], p_tos date[], p_signs int[],
        p_cohort_from text, p_cohort_to text, p_measures text[], p_several boolean, p_per_cohort boolean)
      RETURNS TABLE (rows text, count int)
      LANGUAGE plpgsql STABLE
      SET max_parallel_workers_per_gather = 0
      SET enable_sort = off
      SET plan_cache_mode = force_generic_plan
      AS $read$
      BEGIN
        IF p_measures IS NULL THEN ${byCohorts(false)}
        ELSE ${byCohorts(true)}
        END IF;
      END
      $read$`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP FUNCTION ${FUNCTION}`);
  }
}
