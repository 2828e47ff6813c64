import { openReadModelDatabase } from '@app/projection-engine/testing';
import { READ_MODEL_MIGRATIONS } from '../../schema';
import { STAT_DATE_COUNTS_TABLE } from '../aggregates';
import { countsOn, readingCounts } from './date-counts';

/**
 * A read of kept counts alone goes as a statement prepared once per connection (countsOn); the
 * funnel's reads go in a transaction (readingCounts). Both call the read's function
 * (DATE_COUNTS_READ_SQL), whose planner settings are its own. Both must read the same.
 */
describe('a read of kept counts, prepared', () => {
  let database: Awaited<ReturnType<typeof openReadModelDatabase>>;

  beforeAll(async () => {
    database = await openReadModelDatabase(READ_MODEL_MIGRATIONS);
  });
  afterAll(() => database?.close());

  it('carries the planner settings measured for it', async () => {
    const [{ settings }] = await database.dataSource.query(
      `SELECT proconfig AS settings FROM pg_proc WHERE oid = 'read_models.stat_date_counts_on'::regproc`,
    );
    // Without them the stock on one date was planned with two parallel workers (53 ms against 0.22
    // at 100,000 dossiers), and the reads sorted where they hash (bench/README.md, fourteenth session).
    expect(settings).toEqual(['max_parallel_workers_per_gather=0', 'enable_sort=off', 'plan_cache_mode=force_generic_plan']);
  });

  it('reads the counts a transaction with parameters reads, per province and cohort, on several days and one', async () => {
    const { dataSource } = database;
    await dataSource.query(
      `INSERT INTO read_models.${STAT_DATE_COUNTS_TABLE} (statistic, level, grain, bucket, grp, cohort, measure, n)
       SELECT 'vdab', 'province', grain, bucket, grp, cohort, measure, n
         FROM (VALUES ('year', '2022-01-01'::date), ('month', '2023-01-01'), ('month', '2023-02-01'), ('day', '2023-03-01'), ('day', '2023-03-15')) AS b (grain, bucket),
              unnest(ARRAY['10000', '20001', '']) AS grp, unnest(ARRAY['2022', '2023']) AS cohort,
              unnest(ARRAY['all:registered', 'all:ever', 'active:registered']) AS measure,
              LATERAL (SELECT (length(grp) + length(measure) + extract(day FROM bucket)::int) % 7 - 2 AS n) AS s
        WHERE n <> 0`,
    );
    const days = ['2022-12-31', '2023-01-31', '2023-02-28', '2023-03-10', '2023-03-31'];
    for (const [asked, cohorts, measures, perCohort] of [
      [days, undefined, ['all:registered', 'all:ever'], true],
      [days, { from: '2023', to: null }, null, false],
      [['2023-03-15'], undefined, ['active:registered'], true],
    ] as const) {
      const inOne = await countsOn(dataSource, 'vdab', 'province', asked, cohorts, measures, perCohort);
      const inTransaction = await readingCounts(dataSource, (read) => read('vdab', 'province', asked, cohorts, measures, perCohort));
      expect([...inOne].length).toBeGreaterThan(0);
      expect([...inOne]).toEqual([...inTransaction]);
    }
  });
});
