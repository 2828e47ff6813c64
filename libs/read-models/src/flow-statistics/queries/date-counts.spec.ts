import { openReadModelDatabase } from '@app/projection-engine/testing';
import { READ_MODEL_MIGRATIONS } from '../../schema';
import { STAT_DATE_COUNTS_TABLE } from '../aggregates';
import { countsOn, readingCounts, withLiterals } from './date-counts';

/**
 * A read of kept counts alone goes as one message of the simple protocol, its parameters written
 * in as literals (countsOn); the funnel's reads go in a transaction with parameters
 * (readingCounts). Both must read the same.
 */
describe('a read of kept counts in one message', () => {
  let database: Awaited<ReturnType<typeof openReadModelDatabase>>;

  beforeAll(async () => {
    database = await openReadModelDatabase(READ_MODEL_MIGRATIONS);
  });
  afterAll(() => database?.close());

  it('writes its parameters in as literals PostgreSQL reads as it reads the parameters', async () => {
    const sql = 'SELECT $1::text AS one, $2::text[] AS list, $3::date[] AS days, $4::text AS none, $5::text || $6::text || $7::text || $8::text || $9::text AS more, $10::text AS tenth';
    const parameters = ["it's", ['a"b', 'c\\d', "e'f", 'g,h', '{i}'], ['2024-01-31', '2024-02-29'], null, '5', '6', '7', '8', '9', 'ten'];
    expect(await database.dataSource.query(withLiterals(sql, parameters))).toEqual(await database.dataSource.query(sql, parameters));
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
