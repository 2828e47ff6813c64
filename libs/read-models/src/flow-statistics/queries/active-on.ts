import type { DataSource } from 'typeorm';
import { countsOn, dateCountLevel, groupRowOf } from './date-counts';
import { groupSql, keyOf, periodsOf, type GroupRow, type Grouping } from './groups';
import type { Place } from './place';
import type { RecordedAsOf } from './recorded';

/**
 * Active dossiers on each of `days`, per group (rows with none left out): from the stock's counts
 * kept per day (stat_date_counts) when they answer the question (date-counts.ts), else from the
 * periods (activeOnFromPeriods; `fromPeriods` asks them whatever the question: the test oracle).
 */
export async function activeOn(
  dataSource: DataSource,
  days: readonly string[],
  grouping: Grouping,
  place: Place,
  at: RecordedAsOf = null,
  fromPeriods = false,
): Promise<Array<GroupRow & { day: string; n: number }>> {
  const level = fromPeriods ? null : dateCountLevel(grouping, place, at);
  if (level === null) return activeOnFromPeriods(dataSource, days, grouping, place, at);
  const rows: Array<GroupRow & { day: string; n: number }> = [];
  for (const [day, cells] of await countsOn(dataSource, 'stock', level, [...new Set(days)].sort(), undefined, ['active'])) {
    for (const { grp, measure, n } of cells) if (measure === 'active' && n > 0) rows.push({ ...groupRowOf(level, grp), day, n });
  }
  return rows;
}

/**
 * Active dossiers on each of `days`, per group, from the periods. Each active period
 * covers a run of the sorted days, found by binary search (width_bucket: how many days are
 * before its start, and before its end); +1 where the run starts and -1 after it ends, summed
 * along the days, give the count on every day. One pass over the periods, however many days,
 * where pairing every day with every period took seconds at 100,000 dossiers. Split by the
 * person, a period is cut where the age band changes (periodsOf), so each day counts the band
 * of that day.
 */
async function activeOnFromPeriods(
  dataSource: DataSource,
  days: readonly string[],
  grouping: Grouping,
  place: Place,
  at: RecordedAsOf,
): Promise<Array<GroupRow & { day: string; n: number }>> {
  const sorted = [...new Set(days)].sort();
  if (sorted.length === 0) return [];
  const params: unknown[] = [sorted];
  const { columns, join } = groupSql(grouping, place, params);
  const steps = (await dataSource.query(
    `WITH spans AS (
       SELECT ${columns},
              width_bucket(valid_from - 1, $1::date[]) AS before_start,
              CASE WHEN valid_to IS NULL THEN cardinality($1::date[]) ELSE width_bucket(valid_to - 1, $1::date[]) END AS before_end
         FROM ${periodsOf(grouping, at)} ${join}
        WHERE active)
     SELECT grp, grp_sex, grp_band, i, sum(delta)::int AS delta
       FROM (SELECT grp, grp_sex, grp_band, before_start + 1 AS i, 1 AS delta FROM spans WHERE before_end > before_start
             UNION ALL
             SELECT grp, grp_sex, grp_band, before_end + 1, -1 FROM spans WHERE before_end > before_start) AS s
      WHERE i <= cardinality($1::date[])
      GROUP BY grp, grp_sex, grp_band, i`,
    params,
  )) as Array<GroupRow & { i: number; delta: number }>;
  const groups = new Map<string, { group: GroupRow; deltas: number[] }>();
  for (const step of steps) {
    const group = groups.get(keyOf(step)) ?? { group: { grp: step.grp, grp_sex: step.grp_sex, grp_band: step.grp_band }, deltas: new Array<number>(sorted.length).fill(0) };
    group.deltas[step.i - 1] += step.delta;
    groups.set(keyOf(step), group);
  }
  const rows: Array<GroupRow & { day: string; n: number }> = [];
  for (const { group, deltas } of groups.values()) {
    let n = 0;
    deltas.forEach((delta, index) => {
      n += delta;
      if (n > 0) rows.push({ ...group, day: sorted[index], n });
    });
  }
  return rows;
}