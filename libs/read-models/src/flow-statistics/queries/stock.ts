import type { DataSource } from 'typeorm';
import { ACTIVE_STAGES, HOUSING_TYPES, RESIDENCE_STATUSES } from '@app/domain';
import type { DateCountLevel } from '../aggregates';
import { countsOn, dateCountLevel, groupRowOf } from './date-counts';
import { byGroup, groupingOf, groupSql, groupView, keyOf, NO_GROUP, periodsOf, type GroupBy, type GroupRow, type Grouping, type GroupView } from './groups';
import type { Place, PlaceEcho } from './place';
import type { Interval } from './periods';
import type { RecordedAsOf } from './recorded';
import { suppressionThreshold } from './settings';
import { breakdown, cell, type Cell, type Count, type Line, type Suppressed } from './suppression';

/** Housing types, and `none` for an active dossier without housing. */
export const STOCK_HOUSING = [...HOUSING_TYPES, 'none'] as const;

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

/** A group's counts of the stock. */
type Tally = { row: GroupRow; active: number; stage: Map<string, number>; housing: Map<string, number>; status: Map<string, number>; ever: number; now: number };
const tally = (row: GroupRow): Tally => ({ row, active: 0, stage: new Map(), housing: new Map(), status: new Map(), ever: 0, now: 0 });
const bump = (map: Map<string, number>, key: string, n: number) => map.set(key, (map.get(key) ?? 0) + n);

/**
 * Active dossiers on a date, per group, by stage, housing type and residence status, with
 * ever-employed and employed-now: from the counts kept per day (stat_date_counts) when they
 * answer the question (date-counts.ts), else from the periods. `fromPeriods` asks the periods
 * whatever the question (the test oracle of the kept counts).
 */
export async function stockOn(
  dataSource: DataSource,
  asOf: string,
  groupBy: GroupBy,
  place: Place,
  recordedAsOf: RecordedAsOf = null,
  fromPeriods = false,
  knownThreshold?: number,
): Promise<Suppressed<StockView>> {
  const threshold = await suppressionThreshold(dataSource, knownThreshold);
  const grouping = groupingOf(groupBy);
  const level = fromPeriods ? null : dateCountLevel(grouping, place, recordedAsOf);
  const groups = level === null ? await talliesFromPeriods(dataSource, asOf, grouping, place, recordedAsOf) : await talliesFromDateCounts(dataSource, asOf, level);
  if (groupBy === 'none' && groups.size === 0) {
    groups.set(keyOf(NO_GROUP), tally(NO_GROUP));
  }
  const counts = (keys: readonly string[], of: Map<string, number>) =>
    Object.fromEntries(keys.map((key) => [key, { value: of.get(key) ?? 0, persons: of.get(key) ?? 0 }])) as Record<string, Count>;
  const at = (suppressBelow: number): StockView => ({
    asOf,
    groupBy,
    map: place.map,
    by: place.by,
    suppressBelow,
    groups: [...groups.values()].sort((a, b) => byGroup(a.row, b.row)).map((g) => {
      const active = { value: g.active, persons: g.active };
      const stages = breakdown(active, counts(ACTIVE_STAGES, g.stage), suppressBelow);
      const housing = breakdown(active, counts(STOCK_HOUSING, g.housing), suppressBelow);
      const statuses = breakdown(active, counts(RESIDENCE_STATUSES, g.status), suppressBelow);
      return {
        group: groupView(grouping, g.row, place.map),
        active: [stages.total, housing.total, statuses.total].find((total) => total.suppressed) ?? stages.total,
        byStage: stages.parts,
        byHousingType: housing.parts,
        byResidenceStatus: statuses.parts,
        everEmployed: cell(g.ever, g.ever, suppressBelow),
        employedNow: cell(g.now, g.now, suppressBelow),
      };
    }),
  });
  return { view: at(threshold), unsuppressed: () => at(0) };
}

async function talliesFromPeriods(dataSource: DataSource, asOf: string, grouping: Grouping, place: Place, recordedAsOf: RecordedAsOf): Promise<Map<string, Tally>> {
  const params: unknown[] = [asOf];
  const { columns, join } = groupSql(grouping, place, params);
  const rows = (await dataSource.query(
    `SELECT ${columns}, stage, coalesce(housing_type, 'none') AS housing, residence_status, ever_employed, employed_now, count(*)::int AS n
       FROM ${periodsOf(grouping, recordedAsOf)} ${join}
      WHERE active AND valid_from <= $1::date AND (valid_to IS NULL OR valid_to > $1::date)
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`,
    params,
  )) as Array<GroupRow & { stage: string; housing: string; residence_status: string; ever_employed: boolean; employed_now: boolean; n: number }>;
  const groups = new Map<string, Tally>();
  for (const row of rows) {
    const group = groups.get(keyOf(row)) ?? groups.set(keyOf(row), tally(row)).get(keyOf(row))!;
    group.active += row.n;
    bump(group.stage, row.stage, row.n);
    bump(group.housing, row.housing, row.n);
    bump(group.status, row.residence_status, row.n);
    if (row.ever_employed) group.ever += row.n;
    if (row.employed_now) group.now += row.n;
  }
  return groups;
}

/** The stock's measures (aggregates/date-counts.ts: stockMeasures) read back into tallies; a group with nobody active is left out, as the periods leave it out. */
async function talliesFromDateCounts(dataSource: DataSource, asOf: string, level: DateCountLevel): Promise<Map<string, Tally>> {
  const counts = (await countsOn(dataSource, 'stock', level, [asOf])).get(asOf)!;
  const groups = new Map<string, Tally>();
  for (const { grp, measure, n } of counts) {
    const row = groupRowOf(level, grp);
    const group = groups.get(keyOf(row)) ?? groups.set(keyOf(row), tally(row)).get(keyOf(row))!;
    const [kind, value] = measure.split(/:(.*)/s);
    if (kind === 'active') group.active += n;
    else if (kind === 'stage') bump(group.stage, value, n);
    else if (kind === 'housing') bump(group.housing, value, n);
    else if (kind === 'status') bump(group.status, value, n);
    else if (kind === 'ever') group.ever += n;
    else if (kind === 'now') group.now += n;
  }
  for (const [key, group] of groups) if (group.active === 0) groups.delete(key);
  return groups;
}

/** A group's lines (a total and its parts) of the stock: the active dossiers split by stage, by housing type, by residence status. */
export const STOCK_LINES: Line[] = [
  { total: 'active', parts: ACTIVE_STAGES.map((stage) => `byStage.${stage}`) },
  { total: 'active', parts: STOCK_HOUSING.map((housing) => `byHousingType.${housing}`) },
  { total: 'active', parts: RESIDENCE_STATUSES.map((status) => `byResidenceStatus.${status}`) },
];
