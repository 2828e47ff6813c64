import type { DataSource } from 'typeorm';
import { ACTIVE_STAGES, addMonths, daysBetween, OTHER_RESIDENCE_STATUSES, TEMPORARY_PROTECTION } from '@app/domain';
import { STAT_EVENTS_TABLE, STAT_PERIODS_TABLE } from '../flow-statistics.projection';
import { byGroup, groupByOf, groupingOf, groupSql, groupView, keyOf, NO_GROUP, personOn, type GroupBy, type GroupRow, type GroupView, type Grouping } from './groups';
import type { Place, PlaceEcho } from './place';
import { activeIn, EVEN_SHARES, project, type MonthlyRates, type Standing, type TransitionShares } from './projection';
import { lastBusinessDate, recordedRows, type RecordedAsOf } from './recorded';
import { suppressionThreshold } from './settings';
import { STOCK_HOUSING } from './stock';
import { breakdown, complementary, type Cell, type Count, type Line, type Suppressed } from './suppression';

export const TRAILING_MONTHS = 6;
const DAYS_PER_MONTH = 365.25 / 12;

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
  /** The active dossiers under temporary protection, and the transitioned ones, each by stage and housing type. */
  underTemporaryProtectionByStage: Record<string, Cell>;
  underTemporaryProtectionByHousingType: Record<string, Cell>;
  transitionedByStage: Record<string, Cell>;
  transitionedByHousingType: Record<string, Cell>;
}

export interface OutlookScenario {
  endDate: string;
  /** The end date is today or before: what is recorded for it, not an outlook. */
  endDatePassed: boolean;
  kind: 'observed' | 'projection';
  method: { description: string; basedOn: string; months: number } | null;
  groups: OutlookGroup[];
}

export interface OutlookView extends PlaceEcho {
  lastBusinessDate: string | null;
  /** The moment the answer is as recorded at; null: now. */
  recordedAsOf: RecordedAsOf;
  groupBy: GroupBy;
  suppressBelow: number;
  /** The scenario's rates and how they were found; null when nothing is recorded. */
  scenario: OutlookScenarioInputs | null;
  scenarios: OutlookScenario[];
}

/**
 * A group's situation on a date: its standing, its active dossiers by stage and housing type, and
 * the same splits of those under temporary protection (the transitioned are the rest).
 */
interface Situation extends Standing {
  row: GroupRow;
  stage: Map<string, number>;
  housing: Map<string, number>;
  protectedStage: Map<string, number>;
  protectedHousing: Map<string, number>;
}

const nothingIn = (row: GroupRow): Situation => ({
  row,
  underTemporaryProtection: 0,
  transitioned: {},
  left: 0,
  stage: new Map(),
  housing: new Map(),
  protectedStage: new Map(),
  protectedHousing: new Map(),
});
const add = (to: Map<string, number>, key: string, n: number) => to.set(key, (to.get(key) ?? 0) + n);
const sumOf = (of: ReadonlyMap<string, number>) => [...of.values()].reduce((sum, n) => sum + n, 0);
const minus = (all: ReadonlyMap<string, number>, part: ReadonlyMap<string, number>) => new Map([...all].map(([key, n]) => [key, n - (part.get(key) ?? 0)]));

/**
 * `total` split as `split` is (its shares), or as `fallback` is when `split` counts nobody (those
 * under temporary protection of a group that had none but gains arrivals).
 */
function splitLike(total: number, split: ReadonlyMap<string, number>, fallback: ReadonlyMap<string, number>): Map<string, number> {
  const from = sumOf(split) > 0 ? split : fallback;
  const base = sumOf(from);
  return new Map([...from].map(([key, n]) => [key, base > 0 ? (n * total) / base : 0]));
}

/**
 * A group's situation projected to `standing`: those under temporary protection keep the split by
 * stage and by housing type they had on the base date, and so do the transitioned (failing any in
 * a part, the split of all the group's active dossiers); the active ones are the two added up.
 */
function projectedSituation(base: Situation, standing: Standing): Situation {
  const transitioned = activeIn(standing) - standing.underTemporaryProtection;
  const part = (all: Map<string, number>, protectedOnes: Map<string, number>) => {
    const protectedNow = splitLike(standing.underTemporaryProtection, protectedOnes, all);
    const transitionedNow = splitLike(transitioned, minus(all, protectedOnes), all);
    return { all: new Map([...all.keys()].map((key) => [key, (protectedNow.get(key) ?? 0) + (transitionedNow.get(key) ?? 0)])), protectedNow };
  };
  const stage = part(base.stage, base.protectedStage);
  const housing = part(base.housing, base.protectedHousing);
  return { ...standing, row: base.row, stage: stage.all, housing: housing.all, protectedStage: stage.protectedNow, protectedHousing: housing.protectedNow };
}

/** The situation on `date` per group, persons in the sex and age band they have on `personDate` (the end date a projection from `date` is for). */
async function situationsOn(
  dataSource: DataSource,
  date: string,
  grouping: Grouping,
  place: Place,
  personDate: string,
  recordedAsOf: RecordedAsOf,
): Promise<Map<string, Situation>> {
  const params: unknown[] = [date];
  const { columns, join } = groupSql(grouping, place, params);
  const person = personOn(grouping, 'p.dossier_id', personDate === date ? '$1::date' : `$${params.push(personDate)}::date`);
  const rows = (await dataSource.query(
    `SELECT ${columns}, active, residence_status, stage, coalesce(housing_type, 'none') AS housing, count(*)::int AS n
       FROM ${recordedRows(STAT_PERIODS_TABLE, recordedAsOf)} AS p ${person} ${join}
      WHERE valid_from <= $1::date AND (valid_to IS NULL OR valid_to > $1::date)
      GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    params,
  )) as Array<GroupRow & { active: boolean; residence_status: string; stage: string; housing: string; n: number }>;
  const groups = new Map<string, Situation>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key) ?? nothingIn({ grp: row.grp, grp_sex: row.grp_sex, grp_band: row.grp_band });
    groups.set(key, group);
    if (!row.active) {
      group.left += row.n;
      continue;
    }
    if (row.residence_status === TEMPORARY_PROTECTION) {
      group.underTemporaryProtection += row.n;
      add(group.protectedStage, row.stage, row.n);
      add(group.protectedHousing, row.housing, row.n);
    } else group.transitioned[row.residence_status] = (group.transitioned[row.residence_status] ?? 0) + row.n;
    add(group.stage, row.stage, row.n);
    add(group.housing, row.housing, row.n);
  }
  return groups;
}

/** The trailing rates up to `last`, each replaced by the analyst's where given, and the shares of the moves out of temporary protection. */
async function scenarioInputs(dataSource: DataSource, last: string, given: GivenRates, recordedAsOf: RecordedAsOf): Promise<OutlookScenarioInputs> {
  const after = addMonths(last, -TRAILING_MONTHS);
  const monthEnds = Array.from({ length: TRAILING_MONTHS }, (_, i) => addMonths(last, -i));
  const counts = (await dataSource.query(
    `SELECT type, residence_status, count(*)::int AS n FROM ${recordedRows(STAT_EVENTS_TABLE, recordedAsOf)} AS e
      WHERE occurred_on > $1::date AND occurred_on <= $2::date
        AND (type IN ('DossierRegistered', 'PersonLeft') OR (type = 'ResidenceStatusChanged' AND previous_residence_status = $3))
      GROUP BY 1, 2`,
    [after, last, TEMPORARY_PROTECTION],
  )) as Array<{ type: string; residence_status: string | null; n: number }>;
  const stocks = (await dataSource.query(
    `SELECT count(*)::int AS active, count(*) FILTER (WHERE p.residence_status = $2)::int AS protected
       FROM ${recordedRows(STAT_PERIODS_TABLE, recordedAsOf)} p JOIN unnest($1::date[]) AS d(day) ON p.valid_from <= d.day AND (p.valid_to IS NULL OR p.valid_to > d.day)
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
    transitionShares: await sharesOf(dataSource, counts, last, recordedAsOf),
  };
}

/** Shares of the moves out of temporary protection in the window; failing those, of every such move up to `last`; failing those, even. */
async function sharesOf(dataSource: DataSource, windowCounts: Array<{ type: string; residence_status: string | null; n: number }>, last: string, recordedAsOf: RecordedAsOf) {
  const share = (rows: Array<{ residence_status: string | null; n: number }>): TransitionShares | null => {
    const total = rows.reduce((sum, row) => sum + row.n, 0);
    if (total === 0) return null;
    return Object.fromEntries(OTHER_RESIDENCE_STATUSES.map((status) => [status, round(rows.filter((row) => row.residence_status === status).reduce((sum, row) => sum + row.n, 0) / total, 4)]));
  };
  const inWindow = share(windowCounts.filter((row) => row.type === 'ResidenceStatusChanged'));
  if (inWindow) return { shares: inWindow, from: 'window' as const };
  const history = share(
    await dataSource.query(
      `SELECT residence_status, count(*)::int AS n FROM ${recordedRows(STAT_EVENTS_TABLE, recordedAsOf)} AS e
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
    'Moves between the other statuses and reopenings are not projected; the same rates apply to every group. Stages and housing types: ' +
    `those under temporary protection keep the split by stage and by housing type they had in their group on ${basedOn}, and so do the ` +
    "transitioned (a part of a group with nobody in it then takes the split of the group's active dossiers); a group's active dossiers by " +
    'stage and housing type are the two added up. Every number is rounded to whole dossiers on its own.'
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
  place: Place,
  given: GivenRates,
  recordedAsOf: RecordedAsOf = null,
  remember: Remember = (_, compute) => compute(),
  knownThreshold?: number,
): Promise<Suppressed<OutlookView>> {
  const threshold = await suppressionThreshold(dataSource, knownThreshold);
  const grouping = groupingOf(groupBy);
  const last = await lastBusinessDate(dataSource, recordedAsOf);
  // Persons are in the age band of the end date: a projection's base groups them by the band they will have then.
  const situationOn = (date: string, personDate = date) => {
    const on = grouping.ageBand ? personDate : date;
    return remember(`outlook-situation|${date}|${groupBy}|${place.map}|${place.by}|${on}|${recordedAsOf ?? ''}`, () => situationsOn(dataSource, date, grouping, place, on, recordedAsOf));
  };
  const rates = [given.arrivals, given.departures, given.transitions].map((rate) => rate ?? '').join(',');
  const inputs = last === null ? null : await remember(`outlook-inputs|${last}|${rates}|${recordedAsOf ?? ''}`, () => scenarioInputs(dataSource, last, given, recordedAsOf));
  const scenarios: Array<Omit<OutlookScenario, 'groups'> & { situations: ReadonlyMap<string, Situation> }> = [];
  for (const endDate of endDates) {
    const endDatePassed = endDate <= today;
    if (last === null || inputs === null || endDate <= last || endDatePassed) {
      scenarios.push({ endDate, endDatePassed, kind: 'observed', method: null, situations: await situationOn(endDate) });
      continue;
    }
    const base = await situationOn(last, endDate);
    const months = daysBetween(last, endDate) / DAYS_PER_MONTH;
    const monthly = { arrivals: inputs.arrivals.monthly, departures: inputs.departures.monthly, transitions: inputs.transitions.monthly };
    const projected = new Map(
      [...base].map(([key, situation]) => [key, projectedSituation(situation, project(situation, monthly, inputs.transitionShares.shares, months))] as const),
    );
    scenarios.push({
      endDate,
      endDatePassed,
      kind: 'projection',
      method: { description: methodOf(inputs, endDate), basedOn: last, months: round(months, 2) },
      situations: projected,
    });
  }
  const at = (suppressBelow: number): OutlookView => ({
    lastBusinessDate: last,
    recordedAsOf,
    groupBy,
    map: place.map,
    by: place.by,
    suppressBelow,
    scenario: inputs,
    scenarios: scenarios.map(({ situations, ...scenario }) => ({ ...scenario, groups: groupsOf(situations, grouping, place, suppressBelow) })),
  });
  return { view: at(threshold), unsuppressed: () => at(0) };
}

/**
 * The groups' numbers, rounded each on its own, and suppressed: the stock's breakdowns (residence
 * statuses, stages, housing types, each with its complementary suppression), then the small cells
 * of the splits of temporary protection and the transitioned, then complementary suppression over
 * the lines of the tables they make (tableLines). Situations are only read: they may be remembered.
 */
function groupsOf(situations: ReadonlyMap<string, Situation>, grouping: Grouping, place: Place, suppressBelow: number): OutlookGroup[] {
  const all = groupByOf(grouping) === 'none' && situations.size === 0 ? [nothingIn(NO_GROUP)] : [...situations.values()].sort((a, b) => byGroup(a.row, b.row));
  return all.map((s) => {
    const values: Record<string, number> = {};
    const put = (name: string, n: number) => (values[name] = Math.round(n));
    put('active', activeIn(s));
    put('underTemporaryProtection', s.underTemporaryProtection);
    // The rest of the active ones, so that the two add up to what is published as active.
    put('transitioned', values.active - values.underTemporaryProtection);
    put('left', s.left);
    for (const status of OTHER_RESIDENCE_STATUSES) put(`status:${status}`, s.transitioned[status] ?? 0);
    for (const [dimension, names, all, protectedOnes] of [
      ['stage', ACTIVE_STAGES, s.stage, s.protectedStage],
      ['housing', STOCK_HOUSING, s.housing, s.protectedHousing],
    ] as const) {
      for (const name of names) {
        put(`${dimension}:${name}`, all.get(name) ?? 0);
        put(`underTemporaryProtection:${dimension}:${name}`, protectedOnes.get(name) ?? 0);
        put(`transitioned:${dimension}:${name}`, (all.get(name) ?? 0) - (protectedOnes.get(name) ?? 0));
      }
    }
    const count = (name: string): Count => ({ value: values[name], persons: values[name] });
    const counts = (prefix: string, names: readonly string[]) => Object.fromEntries(names.map((name) => [`${prefix}${name}`, count(`${prefix}${name}`)]));
    const statuses = breakdown(count('active'), { underTemporaryProtection: count('underTemporaryProtection'), ...counts('status:', OTHER_RESIDENCE_STATUSES) }, suppressBelow);
    const stages = breakdown(count('active'), counts('stage:', ACTIVE_STAGES), suppressBelow);
    const housing = breakdown(count('active'), counts('housing:', STOCK_HOUSING), suppressBelow);
    const small = (name: string) => values[name] > 0 && values[name] < suppressBelow;
    const hidden = new Set(Object.keys(values).filter(small));
    for (const { total, parts } of [statuses, stages, housing]) {
      if (total.suppressed) hidden.add('active');
      for (const [name, c] of Object.entries(parts)) if (c.suppressed) hidden.add(name);
    }
    // Either of temporary protection and the transitioned gives the other away.
    if (hidden.has('underTemporaryProtection') || small('transitioned')) hidden.add('underTemporaryProtection').add('transitioned');
    const suppressed = complementary(values, hidden, tableLines);
    const shown = (name: string): Cell => (suppressed.has(name) ? { value: null, suppressed: true } : { value: values[name], suppressed: false });
    const cells = (prefix: string, names: readonly string[]) => Object.fromEntries(names.map((name) => [name, shown(`${prefix}${name}`)]));
    return {
      group: groupView(grouping, s.row, place.map),
      active: shown('active'),
      underTemporaryProtection: shown('underTemporaryProtection'),
      transitioned: { total: shown('transitioned'), byStatus: cells('status:', OTHER_RESIDENCE_STATUSES) },
      left: shown('left'),
      byStage: cells('stage:', ACTIVE_STAGES),
      byHousingType: cells('housing:', STOCK_HOUSING),
      underTemporaryProtectionByStage: cells('underTemporaryProtection:stage:', ACTIVE_STAGES),
      underTemporaryProtectionByHousingType: cells('underTemporaryProtection:housing:', STOCK_HOUSING),
      transitionedByStage: cells('transitioned:stage:', ACTIVE_STAGES),
      transitionedByHousingType: cells('transitioned:housing:', STOCK_HOUSING),
    };
  });
}

/**
 * The lines of a group's outlook tables: active = under temporary protection + transitioned
 * (+ each status); the statuses, stages and housing types of the active ones; and, by stage and
 * by housing type, a table of temporary protection and transitioned (rows) by stage or housing
 * type (columns), its margins the two totals and the active ones' split.
 */
const tableLines: Line[] = [
  { total: 'active', parts: ['underTemporaryProtection', 'transitioned'] },
  { total: 'active', parts: ['underTemporaryProtection', ...OTHER_RESIDENCE_STATUSES.map((status) => `status:${status}`)] },
  { total: 'transitioned', parts: OTHER_RESIDENCE_STATUSES.map((status) => `status:${status}`) },
  ...(
    [
      ['stage', ACTIVE_STAGES],
      ['housing', STOCK_HOUSING],
    ] as const
  ).flatMap(([dimension, names]) => [
    { total: 'active', parts: names.map((name) => `${dimension}:${name}`) },
    ...['underTemporaryProtection', 'transitioned'].map((row) => ({ total: row, parts: names.map((name) => `${row}:${dimension}:${name}`) })),
    ...names.map((name) => ({ total: `${dimension}:${name}`, parts: [`underTemporaryProtection:${dimension}:${name}`, `transitioned:${dimension}:${name}`] })),
  ]),
];

/** The view's path of a cell named in tableLines. */
function pathOf(name: string): string {
  const [first, second, third] = name.split(':');
  if (name === 'transitioned') return 'transitioned.total';
  if (first === 'status') return `transitioned.byStatus.${second}`;
  const split = (dimension: string) => (dimension === 'stage' ? 'ByStage' : 'ByHousingType');
  if (first === 'stage' || first === 'housing') return `by${split(first).slice(2)}.${second}`;
  if (third !== undefined) return `${first}${split(second)}.${third}`;
  return name;
}

/** A group's lines of the outlook by the paths of its view (tableLines). */
export const OUTLOOK_LINES: Line[] = tableLines.map(({ total, parts }) => ({ total: pathOf(total), parts: parts.map(pathOf) }));

function round(n: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(n * factor) / factor;
}
