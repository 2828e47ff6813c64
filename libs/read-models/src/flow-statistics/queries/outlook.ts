import type { DataSource } from 'typeorm';
import { ACTIVE_STAGES, addMonths, daysBetween, OTHER_RESIDENCE_STATUSES, RESIDENCE_STATUSES, TEMPORARY_PROTECTION } from '@app/domain';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';
import { STAT_EVENTS_TABLE, STAT_PERIODS_TABLE } from '../flow-statistics.projection';
import { byGroup, GROUP_COLUMN, groupView, keyOf, type GroupBy, type GroupView } from './groups';
import { activeIn, EVEN_SHARES, project, type MonthlyRates, type Standing, type TransitionShares } from './projection';
import { readSettings } from './settings';
import { STOCK_HOUSING } from './stock';
import { breakdown, cell, type Cell, type Count } from './suppression';

const STAT_EVENTS = `${READ_MODEL_SCHEMA}.${STAT_EVENTS_TABLE}`;
const STAT_PERIODS = `${READ_MODEL_SCHEMA}.${STAT_PERIODS_TABLE}`;
export const TRAILING_MONTHS = 6;
const DAYS_PER_MONTH = 365.25 / 12;
const HIDDEN: Cell = { value: null, suppressed: true };

/** Keeps a part of the answer under a key while the read model stands still (the reader's cache); by default, nothing is kept. */
export type Remember = <T>(key: string, compute: () => Promise<T>) => Promise<T>;

/** Rates an analyst gives; a rate left out is the trailing one observed. */
export type GivenRates = Partial<MonthlyRates>;

/** One monthly rate of the scenario: the one used, where it came from, and what was observed either way. */
export interface RateView {
  monthly: number;
  source: 'observed' | 'given';
  /** The trailing rate: `events` in the window, per month, over `averageStock` (the mean of the six month-end stocks it is a rate of). */
  observed: { events: number; averageStock: number; monthly: number };
}

export interface OutlookScenarioInputs {
  basedOn: string;
  window: { after: string; upTo: string; monthEnds: string[] };
  arrivals: RateView;
  departures: RateView;
  transitions: RateView;
  /** How moves out of temporary protection split over the other statuses, and from which moves. */
  transitionShares: { shares: Record<string, number>; from: 'window' | 'history' | 'even' };
}

export interface OutlookGroup {
  group: GroupView | null;
  active: Cell;
  underTemporaryProtection: Cell;
  transitioned: { total: Cell; byStatus: Record<string, Cell> };
  left: Cell;
  byStage: Record<string, Cell>;
  byHousingType: Record<string, Cell>;
}

export interface OutlookScenario {
  endDate: string;
  /** The end date is today or before: what is recorded for it, not an outlook. */
  endDatePassed: boolean;
  kind: 'observed' | 'projection';
  method: { description: string; basedOn: string; months: number } | null;
  groups: OutlookGroup[];
}

export interface OutlookView {
  lastBusinessDate: string | null;
  groupBy: GroupBy;
  suppressBelow: number;
  /** The scenario's rates and how they were found; null when nothing is recorded. */
  scenario: OutlookScenarioInputs | null;
  scenarios: OutlookScenario[];
}

/** The last business date anything is recorded on, or null on an empty read model. */
export async function lastBusinessDate(dataSource: DataSource): Promise<string | null> {
  const [row] = await dataSource.query(`SELECT max(occurred_on)::text AS last FROM ${STAT_EVENTS}`);
  return (row?.last as string | null) ?? null;
}

/** A group's situation on a date: its standing, and its active dossiers by stage and housing type. */
interface Situation extends Standing {
  nis: string | null;
  stage: Map<string, number>;
  housing: Map<string, number>;
}

async function situationsOn(dataSource: DataSource, date: string, groupBy: GroupBy): Promise<Map<string, Situation>> {
  const rows = (await dataSource.query(
    `SELECT ${GROUP_COLUMN[groupBy]} AS grp, active, residence_status, stage, coalesce(housing_type, 'none') AS housing, count(*)::int AS n
       FROM ${STAT_PERIODS}
      WHERE valid_from <= $1::date AND (valid_to IS NULL OR valid_to > $1::date)
      GROUP BY 1, 2, 3, 4, 5`,
    [date],
  )) as Array<{ grp: string | null; active: boolean; residence_status: string; stage: string; housing: string; n: number }>;
  const groups = new Map<string, Situation>();
  for (const row of rows) {
    const key = keyOf(row.grp);
    const group: Situation = groups.get(key) ?? { nis: row.grp, underTemporaryProtection: 0, transitioned: {}, left: 0, stage: new Map(), housing: new Map() };
    groups.set(key, group);
    if (!row.active) {
      group.left += row.n;
      continue;
    }
    if (row.residence_status === TEMPORARY_PROTECTION) group.underTemporaryProtection += row.n;
    else group.transitioned[row.residence_status] = (group.transitioned[row.residence_status] ?? 0) + row.n;
    group.stage.set(row.stage, (group.stage.get(row.stage) ?? 0) + row.n);
    group.housing.set(row.housing, (group.housing.get(row.housing) ?? 0) + row.n);
  }
  return groups;
}

/** The trailing rates up to `last`, each replaced by the analyst's where given, and the shares of the moves out of temporary protection. */
async function scenarioInputs(dataSource: DataSource, last: string, given: GivenRates): Promise<OutlookScenarioInputs> {
  const after = addMonths(last, -TRAILING_MONTHS);
  const monthEnds = Array.from({ length: TRAILING_MONTHS }, (_, i) => addMonths(last, -i));
  const counts = (await dataSource.query(
    `SELECT type, residence_status, count(*)::int AS n FROM ${STAT_EVENTS}
      WHERE occurred_on > $1::date AND occurred_on <= $2::date
        AND (type IN ('DossierRegistered', 'PersonLeft') OR (type = 'ResidenceStatusChanged' AND previous_residence_status = $3))
      GROUP BY 1, 2`,
    [after, last, TEMPORARY_PROTECTION],
  )) as Array<{ type: string; residence_status: string | null; n: number }>;
  const stocks = (await dataSource.query(
    `SELECT count(*)::int AS active, count(*) FILTER (WHERE p.residence_status = $2)::int AS protected
       FROM ${STAT_PERIODS} p JOIN unnest($1::date[]) AS d(day) ON p.valid_from <= d.day AND (p.valid_to IS NULL OR p.valid_to > d.day)
      WHERE p.active
      GROUP BY d.day`,
    [monthEnds, TEMPORARY_PROTECTION],
  )) as Array<{ active: number; protected: number }>;
  const average = (pick: (row: { active: number; protected: number }) => number) => stocks.reduce((sum, row) => sum + pick(row), 0) / monthEnds.length;
  const eventsOf = (type: string) => counts.filter((row) => row.type === type).reduce((sum, row) => sum + row.n, 0);
  const rate = (events: number, averageStock: number, givenRate: number | undefined): RateView => {
    const monthly = averageStock > 0 ? Math.min(1, events / TRAILING_MONTHS / averageStock) : 0;
    const observed = { events, averageStock: round(averageStock, 1), monthly: round(monthly, 4) };
    return givenRate === undefined ? { monthly: observed.monthly, source: 'observed', observed } : { monthly: givenRate, source: 'given', observed };
  };
  return {
    basedOn: last,
    window: { after, upTo: last, monthEnds },
    arrivals: rate(eventsOf('DossierRegistered'), average((row) => row.active), given.arrivals),
    departures: rate(eventsOf('PersonLeft'), average((row) => row.active), given.departures),
    transitions: rate(eventsOf('ResidenceStatusChanged'), average((row) => row.protected), given.transitions),
    transitionShares: await sharesOf(dataSource, counts, last),
  };
}

/** Shares of the moves out of temporary protection in the window; failing those, of every such move up to `last`; failing those, even. */
async function sharesOf(dataSource: DataSource, windowCounts: Array<{ type: string; residence_status: string | null; n: number }>, last: string) {
  const share = (rows: Array<{ residence_status: string | null; n: number }>): TransitionShares | null => {
    const total = rows.reduce((sum, row) => sum + row.n, 0);
    if (total === 0) return null;
    return Object.fromEntries(OTHER_RESIDENCE_STATUSES.map((status) => [status, round(rows.filter((row) => row.residence_status === status).reduce((sum, row) => sum + row.n, 0) / total, 4)]));
  };
  const inWindow = share(windowCounts.filter((row) => row.type === 'ResidenceStatusChanged'));
  if (inWindow) return { shares: inWindow, from: 'window' as const };
  const history = share(
    await dataSource.query(
      `SELECT residence_status, count(*)::int AS n FROM ${STAT_EVENTS}
        WHERE type = 'ResidenceStatusChanged' AND previous_residence_status = $2 AND occurred_on <= $1::date GROUP BY 1`,
      [last, TEMPORARY_PROTECTION],
    ),
  );
  if (history) return { shares: history, from: 'history' as const };
  return { shares: Object.fromEntries(Object.entries(EVEN_SHARES).map(([status, n]) => [status, round(n, 4)])), from: 'even' as const };
}

function methodOf(inputs: OutlookScenarioInputs, endDate: string): string {
  const { basedOn, arrivals, departures, transitions, transitionShares } = inputs;
  const said = (name: string, rate: RateView, of: string) =>
    `${name} ${rate.monthly} per month (${rate.source === 'given' ? `given; observed ${rate.observed.monthly}` : 'observed'}: ` +
    `${rate.observed.events} in the ${TRAILING_MONTHS} months up to ${basedOn}, per month, over the average ${of} at the six month ends, ${rate.observed.averageStock})`;
  return (
    `From the situation on ${basedOn} (the last recorded business date) to ${endDate}, month by month (a last part-month at that ` +
    `part of each rate): ${said('arrivals', arrivals, 'active stock')}, arriving under temporary protection in proportion to the active stock; ` +
    `${said('departures', departures, 'active stock')}, from every status alike, counted as left; ` +
    `${said('transitions', transitions, 'stock under temporary protection')}, taken from those under temporary protection who stay, ` +
    `split over the other statuses by the shares of the moves ${transitionShares.from === 'window' ? 'in those months' : transitionShares.from === 'history' ? 'recorded up to then (none in those months)' : 'evenly (none recorded)'}. ` +
    'Moves between the other statuses and reopenings are not projected; the same rates apply to every group; stages and housing types ' +
    `keep their shares of each group's active dossiers on ${basedOn}. Every number is rounded to whole dossiers on its own.`
  );
}

/**
 * The active dossiers at each end date, under temporary protection, transitioned (by status)
 * and left, by stage and housing type, per group. An end date up to the last recorded business
 * date, or one that has passed (today or before): observed, the situation recorded for that day.
 * Beyond both: projected from the situation on the last business date with the scenario's
 * monthly rates (projection.ts), labelled with its method; `scenario` states the rates and their
 * inputs once for every projected end date. The situations and the rates of a day are the same
 * for every question about it, so they are remembered apart from the answer.
 */
export async function outlookAt(
  dataSource: DataSource,
  endDates: readonly string[],
  today: string,
  groupBy: GroupBy,
  given: GivenRates,
  remember: Remember = (_, compute) => compute(),
): Promise<OutlookView> {
  const { suppressBelow } = await readSettings(dataSource);
  const last = await lastBusinessDate(dataSource);
  const situationOn = (date: string) => remember(`outlook-situation|${date}|${groupBy}`, () => situationsOn(dataSource, date, groupBy));
  const rates = [given.arrivals, given.departures, given.transitions].map((rate) => rate ?? '').join(',');
  const inputs = last === null ? null : await remember(`outlook-inputs|${last}|${rates}`, () => scenarioInputs(dataSource, last, given));
  const base = last === null ? null : await situationOn(last);
  const scenarios: OutlookScenario[] = [];
  for (const endDate of endDates) {
    const endDatePassed = endDate <= today;
    if (last === null || inputs === null || base === null || endDate <= last || endDatePassed) {
      const observed = await situationOn(endDate);
      scenarios.push({ endDate, endDatePassed, kind: 'observed', method: null, groups: groupsOf(observed, groupBy, suppressBelow) });
      continue;
    }
    const months = daysBetween(last, endDate) / DAYS_PER_MONTH;
    const monthly = { arrivals: inputs.arrivals.monthly, departures: inputs.departures.monthly, transitions: inputs.transitions.monthly };
    const projected = new Map(
      [...base].map(([key, situation]) => {
        const standing = project(situation, monthly, inputs.transitionShares.shares, months);
        const scale = activeIn(situation) > 0 ? activeIn(standing) / activeIn(situation) : 0;
        const scaled = (of: Map<string, number>) => new Map([...of].map(([k, n]) => [k, n * scale]));
        return [key, { ...standing, nis: situation.nis, stage: scaled(situation.stage), housing: scaled(situation.housing) }] as const;
      }),
    );
    scenarios.push({
      endDate,
      endDatePassed,
      kind: 'projection',
      method: { description: methodOf(inputs, endDate), basedOn: last, months: round(months, 2) },
      groups: groupsOf(projected, groupBy, suppressBelow),
    });
  }
  return { lastBusinessDate: last, groupBy, suppressBelow, scenario: inputs, scenarios };
}

/** The groups' numbers, rounded each on its own, and suppressed as the stock's. Situations are only read: they may be remembered. */
function groupsOf(situations: ReadonlyMap<string, Situation>, groupBy: GroupBy, suppressBelow: number): OutlookGroup[] {
  const nothing: Situation = { nis: null, underTemporaryProtection: 0, transitioned: {}, left: 0, stage: new Map(), housing: new Map() };
  const keys = groupBy === 'none' && situations.size === 0 ? [''] : [...situations.keys()].sort(byGroup);
  return keys.map((key) => {
    const s = situations.get(key) ?? nothing;
    const count = (n: number): Count => ({ value: Math.round(n), persons: Math.round(n) });
    const counts = (keys: readonly string[], of: (key: string) => number) => Object.fromEntries(keys.map((k) => [k, count(of(k))])) as Record<string, Count>;
    const active = count(activeIn(s));
    const statuses = breakdown(
      active,
      counts(RESIDENCE_STATUSES, (status) => (status === TEMPORARY_PROTECTION ? s.underTemporaryProtection : (s.transitioned[status] ?? 0))),
      suppressBelow,
    );
    const stages = breakdown(active, counts(ACTIVE_STAGES, (stage) => s.stage.get(stage) ?? 0), suppressBelow);
    const housing = breakdown(active, counts(STOCK_HOUSING, (type) => s.housing.get(type) ?? 0), suppressBelow);
    const underTemporaryProtection = statuses.parts[TEMPORARY_PROTECTION];
    const { [TEMPORARY_PROTECTION]: _, ...byStatus } = statuses.parts;
    return {
      group: groupView(groupBy, s.nis),
      active: [statuses.total, stages.total, housing.total].find((total) => total.suppressed) ?? statuses.total,
      underTemporaryProtection,
      // The rest of the active ones: hidden with temporary protection, as either gives the other away.
      transitioned: { total: underTemporaryProtection.suppressed ? HIDDEN : cell(active.value - (underTemporaryProtection.value ?? 0), 0, suppressBelow), byStatus },
      left: cell(Math.round(s.left), Math.round(s.left), suppressBelow),
      byStage: stages.parts,
      byHousingType: housing.parts,
    };
  });
}

function round(n: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(n * factor) / factor;
}
