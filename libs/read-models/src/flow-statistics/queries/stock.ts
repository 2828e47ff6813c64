import type { DataSource } from 'typeorm';
import { ACTIVE_STAGES, HOUSING_TYPES, RESIDENCE_STATUSES } from '@app/domain';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';
import { STAT_PERIODS_TABLE } from '../flow-statistics.projection';
import { byGroup, groupSql, groupView, keyOf, type GroupBy, type GroupView } from './groups';
import type { Place, PlaceEcho } from './place';
import type { Interval } from './periods';
import { readSettings } from './settings';
import { breakdown, cell, type Cell, type Count } from './suppression';

/** Housing types, and `none` for an active dossier without housing. */
export const STOCK_HOUSING = [...HOUSING_TYPES, 'none'] as const;

const STAT_PERIODS = `${READ_MODEL_SCHEMA}.${STAT_PERIODS_TABLE}`;

export interface StockGroup {
  group: GroupView | null;
  active: Cell;
  byStage: Record<string, Cell>;
  byHousingType: Record<string, Cell>;
  /** Under temporary protection, and each status active dossiers moved to and stay under. */
  byResidenceStatus: Record<string, Cell>;
  everEmployed: Cell;
  employedNow: Cell;
}

export interface StockView extends PlaceEcho {
  asOf: string;
  groupBy: GroupBy;
  suppressBelow: number;
  groups: StockGroup[];
}

/** The stock at the end of each period of a range (clipped to it): the stock statistic on each of those dates. */
export interface StockOverTimeView extends PlaceEcho {
  from: string;
  to: string;
  interval: Interval;
  groupBy: GroupBy;
  suppressBelow: number;
  points: Array<{ asOf: string; groups: StockGroup[] }>;
}

/** Active dossiers on a date, per group, by stage, housing type and residence status, with ever-employed and employed-now. */
export async function stockOn(dataSource: DataSource, asOf: string, groupBy: GroupBy, place: Place): Promise<StockView> {
  const { suppressBelow } = await readSettings(dataSource);
  const params: unknown[] = [asOf];
  const { grp, join } = groupSql(groupBy, place, params);
  const rows = (await dataSource.query(
    `SELECT ${grp} AS grp, stage, coalesce(housing_type, 'none') AS housing, residence_status, ever_employed, employed_now, count(*)::int AS n
       FROM ${STAT_PERIODS} ${join}
      WHERE active AND valid_from <= $1::date AND (valid_to IS NULL OR valid_to > $1::date)
      GROUP BY 1, 2, 3, 4, 5, 6`,
    params,
  )) as Array<{ grp: string | null; stage: string; housing: string; residence_status: string; ever_employed: boolean; employed_now: boolean; n: number }>;
  type Tally = { nis: string | null; active: number; stage: Map<string, number>; housing: Map<string, number>; status: Map<string, number>; ever: number; now: number };
  const tally = (nis: string | null): Tally => ({ nis, active: 0, stage: new Map(), housing: new Map(), status: new Map(), ever: 0, now: 0 });
  const groups = new Map<string, Tally>();
  for (const row of rows) {
    const key = keyOf(row.grp);
    let group = groups.get(key);
    if (!group) {
      group = tally(row.grp);
      groups.set(key, group);
    }
    group.active += row.n;
    group.stage.set(row.stage, (group.stage.get(row.stage) ?? 0) + row.n);
    group.housing.set(row.housing, (group.housing.get(row.housing) ?? 0) + row.n);
    group.status.set(row.residence_status, (group.status.get(row.residence_status) ?? 0) + row.n);
    if (row.ever_employed) group.ever += row.n;
    if (row.employed_now) group.now += row.n;
  }
  if (groupBy === 'none' && groups.size === 0) {
    groups.set('', tally(null));
  }
  const c = (n: number) => cell(n, n, suppressBelow);
  const counts = (keys: readonly string[], of: Map<string, number>) =>
    Object.fromEntries(keys.map((key) => [key, { value: of.get(key) ?? 0, persons: of.get(key) ?? 0 }])) as Record<string, Count>;
  return {
    asOf,
    groupBy,
    map: place.map,
    by: place.by,
    suppressBelow,
    groups: [...groups.keys()].sort(byGroup).map((key) => {
      const g = groups.get(key)!;
      const active = { value: g.active, persons: g.active };
      const stages = breakdown(active, counts(ACTIVE_STAGES, g.stage), suppressBelow);
      const housing = breakdown(active, counts(STOCK_HOUSING, g.housing), suppressBelow);
      const statuses = breakdown(active, counts(RESIDENCE_STATUSES, g.status), suppressBelow);
      return {
        group: groupView(groupBy, g.nis, place.map),
        active: [stages.total, housing.total, statuses.total].find((total) => total.suppressed) ?? stages.total,
        byStage: stages.parts,
        byHousingType: housing.parts,
        byResidenceStatus: statuses.parts,
        everEmployed: c(g.ever),
        employedNow: c(g.now),
      };
    }),
  };
}
