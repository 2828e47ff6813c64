import type { DataSource } from 'typeorm';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';
import { STAT_PERIODS_TABLE } from '../flow-statistics.projection';
import { groupSql, keyOf, type GroupBy } from './groups';
import type { Place } from './place';

const STAT_PERIODS = `${READ_MODEL_SCHEMA}.${STAT_PERIODS_TABLE}`;

/**
 * Active dossiers on each of `days`, per group (rows with none left out). Each active period
 * covers a run of the sorted days, found by binary search (width_bucket: how many days are
 * before its start, and before its end); +1 where the run starts and -1 after it ends, summed
 * along the days, give the count on every day. One pass over the periods, however many days,
 * where pairing every day with every period took seconds at 100,000 dossiers.
 */
export async function activeOn(
  dataSource: DataSource,
  days: readonly string[],
  groupBy: GroupBy,
  place: Place,
): Promise<Array<{ day: string; grp: string | null; n: number }>> {
  const sorted = [...new Set(days)].sort();
  if (sorted.length === 0) return [];
  const params: unknown[] = [sorted];
  const { grp, join } = groupSql(groupBy, place, params);
  const steps = (await dataSource.query(
    `WITH spans AS (
       SELECT ${grp} AS grp,
              width_bucket(valid_from - 1, $1::date[]) AS before_start,
              CASE WHEN valid_to IS NULL THEN cardinality($1::date[]) ELSE width_bucket(valid_to - 1, $1::date[]) END AS before_end
         FROM ${STAT_PERIODS} ${join}
        WHERE active)
     SELECT grp, i, sum(delta)::int AS delta
       FROM (SELECT grp, before_start + 1 AS i, 1 AS delta FROM spans WHERE before_end > before_start
             UNION ALL
             SELECT grp, before_end + 1, -1 FROM spans WHERE before_end > before_start) AS s
      WHERE i <= cardinality($1::date[])
      GROUP BY grp, i`,
    params,
  )) as Array<{ grp: string | null; i: number; delta: number }>;
  const groups = new Map<string, { grp: string | null; deltas: number[] }>();
  for (const step of steps) {
    const group = groups.get(keyOf(step.grp)) ?? { grp: step.grp, deltas: new Array<number>(sorted.length).fill(0) };
    group.deltas[step.i - 1] += step.delta;
    groups.set(keyOf(step.grp), group);
  }
  const rows: Array<{ day: string; grp: string | null; n: number }> = [];
  for (const { grp, deltas } of groups.values()) {
    let n = 0;
    deltas.forEach((delta, index) => {
      n += delta;
      if (n > 0) rows.push({ day: sorted[index], grp, n });
    });
  }
  return rows;
}