import { escapeLiteral, type QueryResult } from 'pg';
import type { DataSource } from 'typeorm';
import { AS_RECORDED } from '@app/domain';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';
import { poolOf, sentWithCallback } from '@app/platform';
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

/** Reads kept counts (dateCountsOn, from READ_MODEL_SCHEMA); without `perCohort`, the cohorts added up. */
export type CountsReader = (
  statistic: DateStatistic | readonly DateStatistic[],
  level: DateCountLevel,
  days: readonly string[],
  cohorts?: { from: string | null; to: string | null },
  measures?: readonly string[] | null,
  perCohort?: boolean,
) => Promise<Map<string, DateCount[]>>;

/**
 * The planner settings of a read of kept counts. A read of a few thousand rows, summed into
 * fewer (dateCountsOn). Measured on a copy of the bench's table at 100,000 dossiers
 * (bench/README.md): the planner's parallel workers took longer to start on two busy cores than
 * the read itself, and its sort of the rows by their text keys (no abbreviated keys under a libc
 * collation) cost more than hashing them.
 */
const COUNTS_SETTINGS = 'SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL enable_sort = off';

/**
 * `read`'s reads of the kept counts, in one transaction that sees one state of the table (a
 * funnel reads its wait bands, then the days of the middle ones: both must be of the same batch).
 */
export async function readingCounts<T>(dataSource: DataSource, read: (countsOn: CountsReader) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  try {
    // The transaction begun with its isolation level and settings in one round trip (no
    // parameters: the simple protocol takes several statements), where TypeORM's transaction
    // took one more for its START TRANSACTION (bench/README.md, "Computed answers").
    try {
      await runner.query(`BEGIN ISOLATION LEVEL REPEATABLE READ; ${COUNTS_SETTINGS}`);
      const result = await read((statistic, level, days, cohorts, measures = null, perCohort = true) =>
        dateCountsOn((sql, parameters) => runner.query(sql, parameters), READ_MODEL_SCHEMA, statistic, level, days, cohorts, measures, perCohort),
      );
      await runner.query('COMMIT');
      return result;
    } catch (error) {
      // Also after a failed BEGIN or SET (PostgreSQL only warns when no transaction is open): the connection goes back to the pool without one.
      await runner.query('ROLLBACK');
      throw error;
    }
  } finally {
    await runner.release();
  }
}

/** A parameter of a read of kept counts as an SQL literal: a level, a statistic's or measure's name, a cohort, a date, or a list of them. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return escapeLiteral(`{${value.map((item) => (item === null ? 'NULL' : `"${String(item).replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`);
  return escapeLiteral(String(value));
}

/**
 * A statement with its parameters ($1, $2, …) written in as literals, for the simple protocol
 * (which takes no parameters). Only for dateCountsOn's statements: their text holds no `$` but
 * the parameters'.
 */
export const withLiterals = (sql: string, parameters: readonly unknown[]): string => sql.replace(/\$(\d+)/g, (_, n: string) => literal(parameters[Number(n) - 1]));

/**
 * The kept counts of a statistic at a level on each of `days` (dateCountsOn; without `perCohort`,
 * the cohorts added up): one read, so one statement sees one state of the table without a
 * transaction of its own. Its settings and the read go in one message of the simple protocol
 * (its parameters written in as literals), which PostgreSQL runs as one implicit transaction, the
 * settings local to it: one round trip where `BEGIN …`, the read and `COMMIT` took three
 * (bench/README.md, "Computed range answers (tenth session)").
 */
export async function countsOn(
  dataSource: DataSource,
  statistic: DateStatistic,
  level: DateCountLevel,
  days: readonly string[],
  cohorts?: { from: string | null; to: string | null },
  measures: readonly string[] | null = null,
  perCohort = true,
): Promise<Map<string, DateCount[]>> {
  return countsByDay(days, await countCellsOn(dataSource, statistic, level, days, cohorts, measures, perCohort));
}

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
  // Straight to the pool (poolOf), which lends the message one connection: no TypeORM query
  // runner to make, connect and release around it (bench/README.md, "Computed range answers'
  // per-answer work (thirteenth session)"). pg's callback form (sentWithCallback): through its
  // promise form each read's text outlived two scavenges.
  const query = async (sql: string, parameters: unknown[]) => {
    const results = await sentWithCallback<QueryResult[]>(poolOf(dataSource), `${COUNTS_SETTINGS}; ${withLiterals(sql, parameters)}`);
    return results[results.length - 1].rows;
  };
  return dateCountCellsOn(query, READ_MODEL_SCHEMA, statistic, level, days, cohorts, measures, perCohort);
}
