import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  ACTIVE_STAGES,
  addMonths,
  daysBetween,
  defaultMunicipalityDirectory,
  DEPARTURE_REASONS,
  HOUSING_TYPES,
  INBURGERING_TRAJECTORIES,
  REHOUSING_REASONS,
  type ActiveStage,
} from '@app/domain';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';
import { breakdown, cell, type Cell, type Count } from './suppression';
import type { GroupBy, Interval } from './statistics.dto';
import type { Period } from './periods';
import { Metrics } from '../metrics/metrics';
import { StatisticsCache } from './statistics-cache';

/** Housing types, and `none` for an active dossier without housing. */
export const STOCK_HOUSING = [...HOUSING_TYPES, 'none'] as const;

export const DEFAULT_SUPPRESS_BELOW = 5;

/** What a row of statistics is about: null without groupBy; a province (nis null: Brussels) or a municipality. */
export interface GroupView {
  nis: string | null;
  name: string;
}

export interface StockGroup {
  group: GroupView | null;
  active: Cell;
  byStage: Record<string, Cell>;
  byHousingType: Record<string, Cell>;
  everEmployed: Cell;
  employedNow: Cell;
}

export interface StockView {
  asOf: string;
  groupBy: GroupBy;
  suppressBelow: number;
  groups: StockGroup[];
}

/** The stock at the end of each period of a range (clipped to it): the stock statistic on each of those dates. */
export interface StockOverTimeView {
  from: string;
  to: string;
  interval: Interval;
  groupBy: GroupBy;
  suppressBelow: number;
  points: Array<{ asOf: string; groups: StockGroup[] }>;
}

export interface FlowGroup {
  group: GroupView | null;
  registrations: Cell;
  housings: Cell;
  rehousings: { total: Cell; byReason: Record<string, Cell> };
  inburgeringEnrolments: { total: Cell; byTrajectory: Record<string, Cell> };
  vdabRegistrations: Cell;
  employmentStarts: Cell;
  employmentEnds: Cell;
  departures: { total: Cell; byReason: Record<string, Cell> };
  reopenings: Cell;
  stockAtEnd: Cell;
}

export interface FlowsView {
  from: string;
  to: string;
  interval: Interval;
  groupBy: GroupBy;
  suppressBelow: number;
  periods: Array<{ period: string; start: string; end: string; groups: FlowGroup[] }>;
}

export interface SettingsView {
  suppressBelow: number;
  updatedAt: string;
  updatedBy: string | null;
}

const T = (table: string) => `${READ_MODEL_SCHEMA}.${table}`;
const GROUP_COLUMN: Record<GroupBy, string> = { none: 'NULL::text', province: 'province_nis', municipality: 'municipality' };
/** Keys of groups in maps; '' stands for "no group" and for Brussels' null province alike (never both at once). */
const keyOf = (value: string | null) => value ?? '';

const PROVINCE_NAMES = new Map(
  defaultMunicipalityDirectory
    .all()
    .filter((m) => m.province)
    .map((m) => [m.province!.nis, m.province!.name] as const),
);

function groupView(groupBy: GroupBy, nis: string | null): GroupView | null {
  if (groupBy === 'none') return null;
  if (groupBy === 'province') {
    return nis === null ? { nis: null, name: 'Brussels-Capital Region (no province)' } : { nis, name: PROVINCE_NAMES.get(nis) ?? nis };
  }
  return { nis, name: (nis && defaultMunicipalityDirectory.resolve(nis)?.name) || (nis ?? 'unknown') };
}

const byGroup = (a: string, b: string) => (a === b ? 0 : a === '' ? 1 : b === '' ? -1 : a < b ? -1 : 1);

/**
 * Reads the flow-statistics read model; every number goes through suppression on its way out.
 * Answers are kept until the read model or the threshold changes (statistics-cache.ts).
 */
@Injectable()
export class StatisticsService {
  private readonly cache: StatisticsCache;

  constructor(
    private readonly dataSource: DataSource,
    metrics: Metrics,
  ) {
    this.cache = new StatisticsCache(dataSource, (source) => metrics.statisticsAnswers.inc({ source }));
  }

  /**
   * Active dossiers on each of `days`, per group (rows with none left out). Each active period
   * covers a run of the sorted days, found by binary search (width_bucket: how many days are
   * before its start, and before its end); +1 where the run starts and -1 after it ends, summed
   * along the days, give the count on every day. One pass over the periods, however many days,
   * where pairing every day with every period took seconds at 100,000 dossiers.
   */
  private async activeOn(days: readonly string[], groupBy: GroupBy): Promise<Array<{ day: string; grp: string | null; n: number }>> {
    const sorted = [...new Set(days)].sort();
    if (sorted.length === 0) return [];
    const steps = (await this.dataSource.query(
      `WITH spans AS (
         SELECT ${GROUP_COLUMN[groupBy]} AS grp,
                width_bucket(valid_from - 1, $1::date[]) AS before_start,
                CASE WHEN valid_to IS NULL THEN cardinality($1::date[]) ELSE width_bucket(valid_to - 1, $1::date[]) END AS before_end
           FROM ${T('stat_dossier_periods')}
          WHERE active)
       SELECT grp, i, sum(delta)::int AS delta
         FROM (SELECT grp, before_start + 1 AS i, 1 AS delta FROM spans WHERE before_end > before_start
               UNION ALL
               SELECT grp, before_end + 1, -1 FROM spans WHERE before_end > before_start) AS s
        WHERE i <= cardinality($1::date[])
        GROUP BY grp, i`,
      [sorted],
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

  async settings(): Promise<SettingsView> {
    const [row] = await this.dataSource.query(
      `SELECT suppress_below, updated_at, updated_by FROM ${T('statistics_settings')} WHERE id`,
    );
    if (!row) return { suppressBelow: DEFAULT_SUPPRESS_BELOW, updatedAt: new Date(0).toISOString(), updatedBy: null };
    return { suppressBelow: Number(row.suppress_below), updatedAt: new Date(row.updated_at).toISOString(), updatedBy: row.updated_by };
  }

  async updateSettings(suppressBelow: number, actor: string): Promise<SettingsView> {
    await this.dataSource.query(
      `INSERT INTO ${T('statistics_settings')} (id, suppress_below, updated_at, updated_by) VALUES (true, $1, now(), $2)
       ON CONFLICT (id) DO UPDATE SET suppress_below = EXCLUDED.suppress_below, updated_at = now(), updated_by = EXCLUDED.updated_by`,
      [suppressBelow, actor],
    );
    return this.settings();
  }

  stock(asOf: string, groupBy: GroupBy): Promise<StockView> {
    return this.cache.answer(`stock|${asOf}|${groupBy}`, () => this.stockNow(asOf, groupBy));
  }

  private async stockNow(asOf: string, groupBy: GroupBy): Promise<StockView> {
    const { suppressBelow } = await this.settings();
    const rows = (await this.dataSource.query(
      `SELECT ${GROUP_COLUMN[groupBy]} AS grp, stage, coalesce(housing_type, 'none') AS housing, ever_employed, employed_now, count(*)::int AS n
         FROM ${T('stat_dossier_periods')}
        WHERE active AND valid_from <= $1::date AND (valid_to IS NULL OR valid_to > $1::date)
        GROUP BY 1, 2, 3, 4, 5`,
      [asOf],
    )) as Array<{ grp: string | null; stage: string; housing: string; ever_employed: boolean; employed_now: boolean; n: number }>;
    const groups = new Map<string, { nis: string | null; active: number; stage: Map<string, number>; housing: Map<string, number>; ever: number; now: number }>();
    for (const row of rows) {
      const key = keyOf(row.grp);
      let group = groups.get(key);
      if (!group) {
        group = { nis: row.grp, active: 0, stage: new Map(), housing: new Map(), ever: 0, now: 0 };
        groups.set(key, group);
      }
      group.active += row.n;
      group.stage.set(row.stage, (group.stage.get(row.stage) ?? 0) + row.n);
      group.housing.set(row.housing, (group.housing.get(row.housing) ?? 0) + row.n);
      if (row.ever_employed) group.ever += row.n;
      if (row.employed_now) group.now += row.n;
    }
    if (groupBy === 'none' && groups.size === 0) {
      groups.set('', { nis: null, active: 0, stage: new Map(), housing: new Map(), ever: 0, now: 0 });
    }
    const c = (n: number) => cell(n, n, suppressBelow);
    const counts = (keys: readonly string[], of: Map<string, number>) =>
      Object.fromEntries(keys.map((key) => [key, { value: of.get(key) ?? 0, persons: of.get(key) ?? 0 }])) as Record<string, Count>;
    return {
      asOf,
      groupBy,
      suppressBelow,
      groups: [...groups.keys()].sort(byGroup).map((key) => {
        const g = groups.get(key)!;
        const active = { value: g.active, persons: g.active };
        const stages = breakdown(active, counts(ACTIVE_STAGES, g.stage), suppressBelow);
        const housing = breakdown(active, counts(STOCK_HOUSING, g.housing), suppressBelow);
        return {
          group: groupView(groupBy, g.nis),
          active: stages.total.suppressed ? stages.total : housing.total,
          byStage: stages.parts,
          byHousingType: housing.parts,
          everEmployed: c(g.ever),
          employedNow: c(g.now),
        };
      }),
    };
  }

  /**
   * The stock on the last day of each of `periods` (those of from, to and interval, periods.ts),
   * each point the stock statistic itself. All under one threshold: asked again if an admin
   * changed it half-way.
   */
  async stockOverTime(from: string, to: string, interval: Interval, groupBy: GroupBy, periods: Period[]): Promise<StockOverTimeView> {
    for (;;) {
      const stocks: StockView[] = [];
      for (const period of periods) stocks.push(await this.stock(period.end, groupBy));
      const suppressBelow = stocks[0]?.suppressBelow ?? (await this.settings()).suppressBelow;
      if (stocks.every((stock) => stock.suppressBelow === suppressBelow)) {
        return { from, to, interval, groupBy, suppressBelow, points: stocks.map(({ asOf, groups }) => ({ asOf, groups })) };
      }
    }
  }

  /** `periods` are those of from, to and interval (periods.ts). */
  flows(from: string, to: string, interval: Interval, groupBy: GroupBy, periods: Period[]): Promise<FlowsView> {
    return this.cache.answer(`flows|${from}|${to}|${interval}|${groupBy}`, () => this.flowsNow(from, to, interval, groupBy, periods));
  }

  private async flowsNow(from: string, to: string, interval: Interval, groupBy: GroupBy, periods: Period[]): Promise<FlowsView> {
    const { suppressBelow } = await this.settings();
    const events = (await this.dataSource.query(
      `SELECT bucket, grp, type, reason, trajectory, GROUPING(reason, trajectory) AS detail,
              count(*)::int AS n, count(DISTINCT dossier_id)::int AS persons
         FROM (SELECT to_char(date_trunc($3, occurred_on::timestamp), 'YYYY-MM-DD') AS bucket, ${GROUP_COLUMN[groupBy]} AS grp,
                      type, reason, trajectory, dossier_id
                 FROM ${T('stat_events')}
                WHERE occurred_on BETWEEN $1::date AND $2::date) AS e
        GROUP BY GROUPING SETS ((bucket, grp, type, reason, trajectory), (bucket, grp, type))`,
      [from, to, interval],
    )) as Array<{ bucket: string; grp: string | null; type: string; reason: string | null; trajectory: string | null; detail: number; n: number; persons: number }>;
    const stocks = await this.activeOn(
      periods.map((period) => period.end),
      groupBy,
    );

    const groupKeys = new Map<string, string | null>();
    if (groupBy === 'none') groupKeys.set('', null);
    for (const row of [...events, ...stocks]) groupKeys.set(keyOf(row.grp), row.grp);
    // counts[bucket|group|type|category] = [events, persons]; category '' is the total of a type.
    const counts = new Map<string, [number, number]>();
    for (const row of events) {
      const category = Number(row.detail) === 0 ? (row.reason ?? row.trajectory ?? '') : '';
      if (Number(row.detail) === 0 && category === '') continue;
      counts.set(`${row.bucket}|${keyOf(row.grp)}|${row.type}|${category}`, [row.n, row.persons]);
    }
    const stockAt = new Map(stocks.map((row) => [`${row.day}|${keyOf(row.grp)}`, row.n]));

    const sortedKeys = [...groupKeys.keys()].sort(byGroup);
    return {
      from,
      to,
      interval,
      groupBy,
      suppressBelow,
      periods: periods.map((period) => ({
        period: period.label,
        start: period.start,
        end: period.end,
        groups: sortedKeys.map((key) => {
          const raw = (type: string, category = ''): Count => {
            const [value, persons] = counts.get(`${period.bucket}|${key}|${type}|${category}`) ?? [0, 0];
            return { value, persons };
          };
          const count = (type: string) => {
            const { value, persons } = raw(type);
            return cell(value, persons, suppressBelow);
          };
          const split = (type: string, categories: readonly string[]) => {
            const { total, parts } = breakdown(raw(type), Object.fromEntries(categories.map((category) => [category, raw(type, category)])), suppressBelow);
            return { total, parts };
          };
          const stock = stockAt.get(`${period.end}|${key}`) ?? 0;
          const rehousings = split('PersonRehoused', REHOUSING_REASONS);
          const enrolments = split('InburgeringEnrolled', INBURGERING_TRAJECTORIES);
          const departures = split('PersonLeft', DEPARTURE_REASONS);
          return {
            group: groupView(groupBy, groupKeys.get(key) ?? null),
            registrations: count('DossierRegistered'),
            housings: count('PersonHoused'),
            rehousings: { total: rehousings.total, byReason: rehousings.parts },
            inburgeringEnrolments: { total: enrolments.total, byTrajectory: enrolments.parts },
            vdabRegistrations: count('VdabRegistered'),
            employmentStarts: count('EmploymentStarted'),
            employmentEnds: count('EmploymentEnded'),
            departures: { total: departures.total, byReason: departures.parts },
            reopenings: count('DossierReopened'),
            stockAtEnd: cell(stock, stock, suppressBelow),
          };
        }),
      })),
    };
  }

  /**
   * The registration cohort of one month: how many reached each step of registered → housed →
   * inburgering → VDAB → employed by asOf. A step counts once every earlier step is reached too,
   * on the latest of their first dates, so the funnel only narrows and no interval is negative.
   */
  funnel(asOf: string, cohortStart: string, cohortEnd: string): Promise<FunnelView> {
    return this.cache.answer(`funnel|${asOf}|${cohortStart}|${cohortEnd}`, () => this.funnelNow(asOf, cohortStart, cohortEnd));
  }

  private async funnelNow(asOf: string, cohortStart: string, cohortEnd: string): Promise<FunnelView> {
    const { suppressBelow } = await this.settings();
    const rows = (await this.dataSource.query(
      `SELECT dossier_id,
              min(occurred_on) FILTER (WHERE type = 'DossierRegistered')::text AS registered,
              min(occurred_on) FILTER (WHERE type = 'PersonHoused')::text AS housed,
              min(occurred_on) FILTER (WHERE type = 'InburgeringEnrolled')::text AS inburgering,
              min(occurred_on) FILTER (WHERE type = 'VdabRegistered')::text AS vdab,
              min(occurred_on) FILTER (WHERE type = 'EmploymentStarted')::text AS employed
         FROM ${T('stat_events')}
        WHERE occurred_on <= $1::date
          AND dossier_id IN (SELECT dossier_id FROM ${T('stat_events')}
                              WHERE type = 'DossierRegistered' AND occurred_on BETWEEN $2::date AND $3::date)
        GROUP BY dossier_id`,
      [asOf, cohortStart, cohortEnd],
    )) as Array<Record<ActiveStage, string | null>>;
    const reached: number[] = ACTIVE_STAGES.map(() => 0);
    const reachedAtAll: number[] = ACTIVE_STAGES.map(() => 0);
    const waits: number[][] = ACTIVE_STAGES.map(() => []);
    for (const row of rows) {
      for (const [index, step] of ACTIVE_STAGES.entries()) if (row[step]) reachedAtAll[index]++;
      let previous: string | null = null;
      for (const [index, step] of ACTIVE_STAGES.entries()) {
        const first = row[step];
        if (!first) break;
        const on: string = previous && previous > first ? previous : first;
        reached[index]++;
        if (previous) waits[index].push(daysBetween(previous, on));
        previous = on;
      }
    }
    const c = (n: number) => cell(n, n, suppressBelow);
    return {
      cohort: cohortStart.slice(0, 7),
      asOf,
      suppressBelow,
      steps: ACTIVE_STAGES.map((step, index) => {
        const count = reached[index];
        const hidden = count > 0 && count < suppressBelow;
        const before = index === 0 ? count : reached[index - 1];
        const beforeHidden = before > 0 && before < suppressBelow;
        const ratio = (n: number, d: number, secret: boolean): Cell =>
          secret ? { value: null, suppressed: true } : { value: d === 0 ? null : Math.round((n / d) * 1000) / 1000, suppressed: false };
        return {
          step,
          count: c(count),
          reachedAtAll: c(reachedAtAll[index]),
          rateFromPrevious: index === 0 ? null : ratio(count, before, hidden || beforeHidden),
          rateFromRegistered: index === 0 ? null : ratio(count, reached[0], hidden || (reached[0] > 0 && reached[0] < suppressBelow)),
          medianDaysFromPrevious:
            index === 0 ? null : hidden ? { value: null, suppressed: true } : { value: median(waits[index]), suppressed: false },
        };
      }),
    };
  }

  /** The last business date anything is recorded on, or null on an empty read model. */
  async lastBusinessDate(): Promise<string | null> {
    const [row] = await this.dataSource.query(`SELECT max(occurred_on)::text AS last FROM ${T('stat_events')}`);
    return (row?.last as string | null) ?? null;
  }

  /**
   * Dossiers still active at each end date. An end date up to the last recorded business date,
   * or one that has passed (today or before): observed, the stock recorded for that day. Beyond
   * both: the stock on the last business date shrunk by the trailing 6-month outflow rate,
   * compounded monthly, applied alike to every stage and housing type; labelled a projection with
   * its method. `endDatePassed` says which end dates are no outlook any more.
   */
  outlook(endDates: readonly string[], today: string): Promise<OutlookView> {
    return this.cache.answer(`outlook|${today}|${endDates.join(',')}`, () => this.outlookNow(endDates, today));
  }

  private async outlookNow(endDates: readonly string[], today: string): Promise<OutlookView> {
    const last = await this.lastBusinessDate();
    const scenarios: OutlookScenario[] = [];
    for (const endDate of endDates) {
      const endDatePassed = endDate <= today;
      if (last === null || endDate <= last || endDatePassed) {
        const stock = await this.stock(endDate, 'none');
        scenarios.push({ endDate, endDatePassed, kind: 'observed', method: null, ...stockGroupOf(stock) });
        continue;
      }
      const base = await this.stock(last, 'none');
      const windowStart = addMonths(last, -TRAILING_MONTHS);
      const [departures] = await this.dataSource.query(
        `SELECT count(*)::int AS n FROM ${T('stat_events')} WHERE type = 'PersonLeft' AND occurred_on > $1::date AND occurred_on <= $2::date`,
        [windowStart, last],
      );
      const monthEnds = Array.from({ length: TRAILING_MONTHS }, (_, i) => addMonths(last, -i));
      const stocks = await this.activeOn(monthEnds, 'none');
      const averageStock = stocks.reduce((sum, row) => sum + row.n, 0) / monthEnds.length;
      const monthlyRate = averageStock > 0 ? Math.min(1, departures.n / TRAILING_MONTHS / averageStock) : 0;
      const months = daysBetween(last, endDate) / DAYS_PER_MONTH;
      const factor = Math.pow(1 - monthlyRate, months);
      const raw = await this.rawStock(last);
      const scale = (n: number) => Math.round(n * factor);
      const { suppressBelow } = base;
      const c = (n: number) => cell(scale(n), scale(n), suppressBelow);
      scenarios.push({
        endDate,
        endDatePassed,
        kind: 'projection',
        method: {
          description:
            `Active dossiers on ${last} (the last recorded business date) times (1 - r)^m, where r is the monthly ` +
            `outflow rate (departures in the ${TRAILING_MONTHS} months up to ${last}, per month, over the average ` +
            `active stock at those month ends) and m the months from ${last} to ${endDate}; every stage and housing ` +
            'type shrinks alike; no new arrivals are assumed. Rounded to whole dossiers.',
          basedOn: last,
          trailingMonths: TRAILING_MONTHS,
          departures: departures.n,
          averageStock: Math.round(averageStock * 10) / 10,
          monthlyOutflowRate: Math.round(monthlyRate * 10000) / 10000,
          months: Math.round(months * 100) / 100,
        },
        active: c(raw.active),
        byStage: Object.fromEntries(ACTIVE_STAGES.map((stage) => [stage, c(raw.stage.get(stage) ?? 0)])),
        byHousingType: Object.fromEntries(STOCK_HOUSING.map((type) => [type, c(raw.housing.get(type) ?? 0)])),
      });
    }
    return { lastBusinessDate: last, suppressBelow: (await this.settings()).suppressBelow, scenarios };
  }

  /** Unsuppressed totals, only ever published after scaling and suppression. */
  private async rawStock(asOf: string) {
    const rows = (await this.dataSource.query(
      `SELECT stage, coalesce(housing_type, 'none') AS housing, count(*)::int AS n FROM ${T('stat_dossier_periods')}
        WHERE active AND valid_from <= $1::date AND (valid_to IS NULL OR valid_to > $1::date) GROUP BY 1, 2`,
      [asOf],
    )) as Array<{ stage: string; housing: string; n: number }>;
    const stage = new Map<string, number>();
    const housing = new Map<string, number>();
    let active = 0;
    for (const row of rows) {
      active += row.n;
      stage.set(row.stage, (stage.get(row.stage) ?? 0) + row.n);
      housing.set(row.housing, (housing.get(row.housing) ?? 0) + row.n);
    }
    return { active, stage, housing };
  }
}

const TRAILING_MONTHS = 6;
const DAYS_PER_MONTH = 365.25 / 12;

export interface FunnelView {
  cohort: string;
  asOf: string;
  suppressBelow: number;
  steps: Array<{
    step: ActiveStage;
    /** Reached this step and every earlier one. */
    count: Cell;
    /** Reached this step by asOf, whatever the earlier steps. */
    reachedAtAll: Cell;
    rateFromPrevious: Cell | null;
    rateFromRegistered: Cell | null;
    medianDaysFromPrevious: Cell | null;
  }>;
}

export interface OutlookScenario {
  endDate: string;
  /** The end date is today or before: what is recorded for it, not an outlook. */
  endDatePassed: boolean;
  kind: 'observed' | 'projection';
  method: Record<string, unknown> | null;
  active: Cell;
  byStage: Record<string, Cell>;
  byHousingType: Record<string, Cell>;
}

export interface OutlookView {
  lastBusinessDate: string | null;
  suppressBelow: number;
  scenarios: OutlookScenario[];
}

function stockGroupOf(stock: StockView): Pick<OutlookScenario, 'active' | 'byStage' | 'byHousingType'> {
  const [group] = stock.groups;
  return { active: group.active, byStage: group.byStage, byHousingType: group.byHousingType };
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
