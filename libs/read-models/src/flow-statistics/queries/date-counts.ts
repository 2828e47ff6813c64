import type { QueryResult } from 'pg';
import type { DataSource } from 'typeorm';
import { AS_RECORDED } from '@app/domain';
import { poolOf, PreparedNames, sentWithCallback } from '@app/platform';
import { countsByDay, DATE_COUNT_LEVELS, dateCountCellsOn, dateCountsOn, type DateCount, type DateCountCells, type DateCountLevel, type DateStatistic } from '../aggregates';
import { byPerson, type GroupRow, type Grouping } from './groups';
import type { Place } from './place';
import type { RecordedAsOf } from './recorded';

/**
 * The level of stat_date_counts (aggregates/date-counts.ts) that answers a question, or null when
 * it cannot: the counts are kept now (not as recorded earlier), by the place of registration as
 * recorded (no map, not by housing), per province or for all, neither per municipality nor by
 * the person. A question they cannot answer is answered from the rows (the periods and events).
 */
export function dateCountLevel(grouping: Grouping, place: Place, at: RecordedAsOf): DateCountLevel | null {
  if (at !== null || place.map !== AS_RECORDED || place.by !== 'registration' || byPerson(grouping)) return null;
  const level = grouping.place ?? 'none';
  return (DATE_COUNT_LEVELS as readonly string[]).includes(level) ? (level as DateCountLevel) : null;
}

/** The group of a kept count as the queries read groups: '' is Brussels' null province. */
export const groupRowOf = (level: DateCountLevel, grp: string): GroupRow => ({
  grp: level === 'none' || (level === 'province' && grp === '') ? null : grp,
  grp_sex: null,
  grp_band: null,
});

/** Reads kept counts (dateCountsOn, from the read model's schema); without `perCohort`, the cohorts added up. */
export type CountsReader = (
  statistic: DateStatistic | readonly DateStatistic[],
  level: DateCountLevel,
  days: readonly string[],
  cohorts?: { from: string | null; to: string | null },
  measures?: readonly string[] | null,
  perCohort?: boolean,
) => Promise<Map<string, DateCount[]>>;

/**
 * `read`'s reads of the kept counts, in one transaction that sees one state of the table (a
 * funnel reads its wait bands, then the days of the middle ones: both must be of the same batch).
 */
export async function readingCounts<T>(dataSource: DataSource, read: (countsOn: CountsReader) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  try {
    // The transaction begun with its isolation level in one round trip, where TypeORM's
    // transaction took one more for its START TRANSACTION (bench/README.md, "Computed answers");
    // the reads' planner settings are their function's (DATE_COUNTS_READ_SQL).
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const result = await read((statistic, level, days, cohorts, measures = null, perCohort = true) =>
        dateCountsOn((sql, parameters) => runner.query(sql, parameters), statistic, level, days, cohorts, measures, perCohort),
      );
      await runner.query('COMMIT');
      return result;
    } catch (error) {
      // Also after a failed BEGIN (PostgreSQL only warns when no transaction is open): the connection goes back to the pool without one.
      await runner.query('ROLLBACK');
      throw error;
    }
  } finally {
    await runner.release();
  }
}

/**
 * The kept counts of a statistic at a level on each of `days` (dateCountsOn; without `perCohort`,
 * the cohorts added up): one read, so one statement sees one state of the table without a
 * transaction of its own, prepared once per connection (DATE_COUNTS_READ_SQL: its planner
 * settings are its function's).
 */
export async function countsOn(...read: Parameters<typeof countCellsOn>): Promise<Map<string, DateCount[]>> {
  const [, , , days] = read;
  return countsByDay(days, await countCellsOn(...read));
}

/** The date counts' read prepared once per connection (one text: DATE_COUNTS_READ_SQL). */
const DATE_COUNT_READS = new PreparedNames('date-counts');

/** countsOn's read, its counts per cell (dateCountCellsOn): for the readers that sum cells per group on many days (VDAB's tallies). */
export async function countCellsOn(
  dataSource: DataSource,
  statistic: DateStatistic,
  level: DateCountLevel,
  days: readonly string[],
  cohorts?: { from: string | null; to: string | null },
  measures: readonly string[] | null = null,
  perCohort = true,
): Promise<DateCountCells> {
  // Straight to the pool (poolOf), which lends the statement one connection: no TypeORM query
  // runner to make, connect and release around it (bench/README.md, "Computed range answers'
  // per-answer work (thirteenth session)"). pg's callback form (sentWithCallback): through its
  // promise form each read's text outlived two scavenges. Prepared once per connection (until the
  // fourteenth session a message of the simple protocol, its settings `SET LOCAL` beside it and its
  // parameters written in as literals, parsed and planned every time).
  const query = async (sql: string, parameters: unknown[]) =>
    (await sentWithCallback<QueryResult>(poolOf(dataSource), sql, parameters, DATE_COUNT_READS.nameOf(sql))).rows;
  return dateCountCellsOn(query, statistic, level, days, cohorts, measures, perCohort);
}
