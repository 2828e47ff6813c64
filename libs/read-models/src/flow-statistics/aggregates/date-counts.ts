import { ACTIVE_STAGES, addDays, daysBetween, endOfMonth, type ActiveStage } from '@app/domain';
import type { ProjectionContext } from '@app/projection-engine';
import { reachDates, STEP_EVENTS } from '../funnel-steps';
import { applyDeltas, Deltas, type CountTable } from './delta';

/**
 * The counts on a date (stock, VDAB's pair, the funnel), kept as their changes: per statistic,
 * grouping level, group, cohort and measure, the change of the count on each business day, and
 * the same summed per month and per year. The count on D is the sum of the years before D's
 * year, the months of its year before its month and the days of its month up to D (at a month's
 * or year's end, the months or years up to it): at most 4 + 12 + 31 rows a cell, however many
 * dossiers. A dossier adds +1 on the day it enters a count and -1 on the day it leaves it.
 */
export const STAT_DATE_COUNTS_TABLE = 'stat_date_counts';

export const DATE_COUNTS: CountTable = {
  name: STAT_DATE_COUNTS_TABLE,
  keys: [
    ['statistic', 'text'],
    ['level', 'text'],
    ['grain', 'text'],
    ['bucket', 'date'],
    ['grp', 'text'],
    ['cohort', 'text'],
    ['measure', 'text'],
  ],
};

/**
 * The funnel's waits are kept twice (contribute): in the funnel's own cells, per band of
 * WAIT_BAND_DAYS days (`band:<i>:<band>`), and to the day under a statistic of their own per step
 * and band (`funnel-wait:<i>:<band>`, measure `wait:<i>:<days>`), so that one band of one step is
 * one range of the primary key. A median reads the bands, then the days of the band (or two)
 * holding the middle (queries/funnel.ts): some 55 bands and 32 days a step at most, where the
 * days of every band grew with the dossiers (bench/README.md, "The funnel's waits in bands").
 */
export const WAIT_BAND_DAYS = 32;
/** The band of a wait of `days` days. */
export const waitBand = (days: number): number => Math.floor(days / WAIT_BAND_DAYS);
export type FunnelWaitStatistic = `funnel-wait:${number}:${number}`;
/** The statistic under which the waits of step `step` in band `band` are kept to the day. */
export const funnelWaitStatistic = (step: number, band: number): FunnelWaitStatistic => `funnel-wait:${step}:${band}`;

export type DateStatistic = 'stock' | 'vdab' | 'funnel' | FunnelWaitStatistic;
/**
 * The groupings kept: none and the province (of registration, as recorded). Not the
 * municipality: its cells hardly ever add up within a batch (some 300 places), so it would write
 * most of the rows (measured: about 180 cells a dossier with it, bench/README.md) for questions
 * the dashboard asks far less; they are answered from the periods.
 */
export const DATE_COUNT_LEVELS = ['none', 'province'] as const;
export type DateCountLevel = (typeof DATE_COUNT_LEVELS)[number];
type Grain = 'day' | 'month' | 'year';

/** A dossier's row of stat_dossier_periods valid now, the columns the counts read. */
export interface CurrentPeriod {
  valid_from: string;
  valid_to: string | null;
  active: boolean;
  stage: string;
  housing_type: string | null;
  province_nis: string | null;
  employed_now: boolean;
  ever_employed: boolean;
  vdab: boolean;
  residence_status: string;
}

/** A dossier's row of stat_events valid now, the columns the counts read. */
export interface CurrentEvent {
  type: string;
  occurred_on: string;
  province_nis: string | null;
}

/** A dossier's current rows. */
export interface DossierRows {
  periods: CurrentPeriod[];
  events: CurrentEvent[];
}

/** The stock's measures of an active period (stock.ts reads them back). */
export const stockMeasures = (p: CurrentPeriod): string[] => [
  'active',
  `stage:${p.stage}`,
  `housing:${p.housing_type ?? 'none'}`,
  `status:${p.residence_status}`,
  ...(p.ever_employed ? ['ever'] : []),
  ...(p.employed_now ? ['now'] : []),
];

/** VDAB's measure of a count (registered, ever employed, employed now) in a population (all; active): vdab.ts reads them back. */
export const vdabMeasure = (population: 'all' | 'active', count: 'registered' | 'ever' | 'now') => `${population}:${count}`;

/** VDAB's measures of a period at VDAB: per population, registered, ever employed, employed now. */
const vdabMeasures = (p: CurrentPeriod): string[] =>
  (p.active ? (['all', 'active'] as const) : (['all'] as const)).flatMap((population) => [
    vdabMeasure(population, 'registered'),
    ...(p.ever_employed ? [vdabMeasure(population, 'ever')] : []),
    ...(p.employed_now ? [vdabMeasure(population, 'now')] : []),
  ]);

/** The year of a person's first VDAB registration, '' without one. */
function vdabCohort(events: readonly CurrentEvent[]): string {
  const first = events.filter((e) => e.type === 'VdabRegistered').reduce<string | null>((min, e) => (min === null || e.occurred_on < min ? e.occurred_on : min), null);
  return first === null ? '' : first.slice(0, 4);
}

type Add = (statistic: DateStatistic, day: string, province: string | null, cohort: string, measure: string, n: number) => void;

/**
 * One dossier's contribution to every count, times `sign`: the stock's and VDAB's from its
 * periods (on the day a period starts, off the day it ends), the funnel's from its first dates of
 * each step (funnel-steps.ts): in its registration cohort (month) and place, `atAll:i` on the day
 * it has step i's event and is registered, and on the day it reaches step i: `count:0` for the
 * first step, and for a later one its wait (the days from step i-1), `band:i:<band>` and, under
 * `funnel-wait:i:<band>`, `wait:i:<days>`. A later step's count is the sum of its bands: kept once,
 * each reach adds as many cells as when the count and the wait to the day were the funnel's.
 */
export function contribute(rows: DossierRows, sign: 1 | -1, add: Add): void {
  const cohort = vdabCohort(rows.events);
  for (const p of rows.periods) {
    const span = (statistic: DateStatistic, measures: string[], cohortOf: string) => {
      for (const measure of measures) {
        add(statistic, p.valid_from, p.province_nis, cohortOf, measure, sign);
        if (p.valid_to !== null) add(statistic, p.valid_to, p.province_nis, cohortOf, measure, -sign);
      }
    };
    if (p.active) span('stock', stockMeasures(p), '');
    if (p.vdab) span('vdab', vdabMeasures(p), cohort);
  }
  const registration = rows.events.find((e) => e.type === 'DossierRegistered');
  if (!registration) return;
  const first = Object.fromEntries(ACTIVE_STAGES.map((step) => [step, null])) as Record<ActiveStage, string | null>;
  for (const e of rows.events) {
    const step = ACTIVE_STAGES.find((s) => STEP_EVENTS[s] === e.type);
    if (step && (first[step] === null || e.occurred_on < first[step]!)) first[step] = e.occurred_on;
  }
  const registered = first.registered!;
  const funnel = (day: string, measure: string, statistic: DateStatistic = 'funnel') => add(statistic, day, registration.province_nis, registered.slice(0, 7), measure, sign);
  const reached = reachDates(first);
  ACTIVE_STAGES.forEach((step, index) => {
    const date = first[step];
    if (date) funnel(date > registered ? date : registered, `atAll:${index}`);
    const on = reached[index];
    if (!on) return;
    if (index === 0) {
      funnel(on, 'count:0');
      return;
    }
    const days = daysBetween(reached[index - 1]!, on);
    funnel(on, `band:${index}:${waitBand(days)}`);
    funnel(on, `wait:${index}:${days}`, funnelWaitStatistic(index, waitBand(days)));
  });
}

/** The buckets of a day at each grain (day, month, year), in GRAINS' order. */
const GRAINS: readonly Grain[] = ['day', 'month', 'year'];
const bucketsOfDay = (day: string): [string, string, string] => [day, `${day.slice(0, 7)}-01`, `${day.slice(0, 4)}-01-01`];

/** Changes of stat_date_counts, keyed as DATE_COUNTS. */
export const noDateCountDeltas = (): Deltas => new Deltas(DATE_COUNTS.keys.length);

/**
 * The changes of stat_date_counts when dossiers' rows go from `before` to `after` (each dossier's
 * current rows; a dossier new to the table has none before): each contribution added to its day's,
 * month's and year's cell, for all (level none) and for its province; added to `deltas` (changes
 * held from earlier batches) when given. A dossier's unchanged periods cancel out in their cells
 * (a cell whose changes sum to 0 is no change: Deltas.changes leaves it out).
 */
export function dateCountDeltas(before: Iterable<DossierRows>, after: Iterable<DossierRows>, deltas = noDateCountDeltas()): Deltas {
  const { codes } = deltas;
  const [none, province, nothing] = [codes.of('none'), codes.of('province'), codes.of('')];
  const grains = GRAINS.map((grain) => codes.of(grain));
  // The buckets of each day (by its text's code), found once a batch: some thousand days for millions of contributions.
  const buckets = new Map<number, number[]>();
  const cell = [0, 0, 0, 0, 0, 0, 0];
  const add: Add = (statistic, day, place, cohort, measure, n) => {
    const dayCode = codes.of(day);
    let at = buckets.get(dayCode);
    if (!at) buckets.set(dayCode, (at = bucketsOfDay(day).map((bucket) => codes.of(bucket))));
    cell[0] = codes.of(statistic);
    cell[5] = codes.of(cohort);
    cell[6] = codes.of(measure);
    const placeCode = codes.of(place ?? '');
    for (let grain = 0; grain < 3; grain++) {
      cell[2] = grains[grain];
      cell[3] = at[grain];
      cell[1] = none;
      cell[4] = nothing;
      deltas.add(cell, n);
      cell[1] = province;
      cell[4] = placeCode;
      deltas.add(cell, n);
    }
  };
  for (const rows of before) contribute(rows, -1, add);
  for (const rows of after) contribute(rows, 1, add);
  return deltas;
}

/**
 * Rows of a table (columns in `columns`' order), only those valid now (recorded_to null), by
 * dossier, each as `read` makes it (given the row and the index of each column).
 */
export function currentRowsByDossier<T>(
  columns: readonly string[],
  rows: readonly unknown[][],
  read: (row: readonly unknown[], at: Readonly<Record<string, number>>) => T,
): Map<string, T[]> {
  const at = Object.fromEntries(columns.map((column, i) => [column, i]));
  const byDossier = new Map<string, T[]>();
  for (const row of rows) {
    if (row[at.recorded_to] !== null) continue;
    const record = read(row, at);
    const list = byDossier.get(row[at.dossier_id] as string);
    if (list) list.push(record);
    else byDossier.set(row[at.dossier_id] as string, [record]);
  }
  return byDossier;
}

/** The columns of a row of stat_dossier_periods the counts read (a record of those alone: cheaper than one of every column). */
const periodOf = (row: readonly unknown[], at: Readonly<Record<string, number>>): CurrentPeriod => ({
  valid_from: row[at.valid_from] as string,
  valid_to: row[at.valid_to] as string | null,
  active: row[at.active] as boolean,
  stage: row[at.stage] as string,
  housing_type: row[at.housing_type] as string | null,
  province_nis: row[at.province_nis] as string | null,
  employed_now: row[at.employed_now] as boolean,
  ever_employed: row[at.ever_employed] as boolean,
  vdab: row[at.vdab] as boolean,
  residence_status: row[at.residence_status] as string,
});

/** The columns of a row of stat_events the counts read. */
const eventOf = (row: readonly unknown[], at: Readonly<Record<string, number>>): CurrentEvent => ({
  type: row[at.type] as string,
  occurred_on: row[at.occurred_on] as string,
  province_nis: row[at.province_nis] as string | null,
});

/** The rows of each dossier of `ids` from both groupings (a dossier with none in one has an empty list). */
function dossierRows(
  ids: Iterable<string>,
  periods: ReadonlyMap<string, Array<CurrentPeriod | Record<string, unknown>>>,
  events: ReadonlyMap<string, Array<CurrentEvent | Record<string, unknown>>>,
): DossierRows[] {
  return [...ids].map((id) => ({ periods: (periods.get(id) ?? []) as CurrentPeriod[], events: (events.get(id) ?? []) as CurrentEvent[] }));
}

/** The current rows of the dossiers as the tables of `context.schema` hold them. */
export async function storedDossierRows(context: Pick<ProjectionContext, 'schema' | 'query'>, dossierIds: readonly string[]): Promise<DossierRows[]> {
  if (dossierIds.length === 0) return [];
  const group = (rows: Array<Record<string, unknown>>) => {
    const byDossier = new Map<string, Array<Record<string, unknown>>>();
    for (const row of rows) byDossier.set(row.dossier_id as string, [...(byDossier.get(row.dossier_id as string) ?? []), row]);
    return byDossier;
  };
  const periods = await context.query(
    `SELECT dossier_id::text, valid_from::text, valid_to::text, active, stage, housing_type, province_nis, employed_now, ever_employed, vdab, residence_status
       FROM ${context.schema}.stat_dossier_periods WHERE dossier_id = ANY($1::uuid[]) AND recorded_to IS NULL`,
    [dossierIds],
  );
  const events = await context.query(
    `SELECT dossier_id::text, type, occurred_on::text, province_nis
       FROM ${context.schema}.stat_events WHERE dossier_id = ANY($1::uuid[]) AND recorded_to IS NULL`,
    [dossierIds],
  );
  return dossierRows(dossierIds, group(periods), group(events));
}

/** Rows of stat_dossier_periods and stat_events of some dossiers (every row of them, columns in `periodColumns`' and `eventColumns`' order; the current ones count). */
export interface DossierTableRows {
  eventColumns: readonly string[];
  events: readonly unknown[][];
  periodColumns: readonly string[];
  periods: readonly unknown[][];
}

/**
 * Adds to `deltas` the changes of stat_date_counts when the dossiers' rows go from `before` (as
 * the tables hold them: none for a dossier new to them) to `after` (their recomputed histories).
 */
export function addDateCountChanges(deltas: Deltas, before: DossierTableRows, after: DossierTableRows): void {
  const current = (rows: DossierTableRows) => {
    const periods = currentRowsByDossier(rows.periodColumns, rows.periods, periodOf);
    const events = currentRowsByDossier(rows.eventColumns, rows.events, eventOf);
    return { ids: new Set([...periods.keys(), ...events.keys()]), periods, events };
  };
  const [old, next] = [current(before), current(after)];
  // A dossier whose rows are all gone (none valid now) contributes nothing after.
  const ids = new Set([...next.ids, ...old.ids]);
  dateCountDeltas(dossierRows(old.ids, old.periods, old.events), dossierRows(ids, next.periods, next.events), deltas);
}

/** A cell of a count on a date: its group ('' for none, and for Brussels' null province), cohort ('' for none) and measure. */
export interface DateCount {
  grp: string;
  cohort: string;
  measure: string;
  n: number;
}

/** Which rows of a grain a date's count sums (or takes away: `less`): buckets from..to, both included. */
type Span = { grain: Grain; from: string; to: string; less?: true };

const yearOf = (day: string) => `${day.slice(0, 4)}-01-01`;
const monthOf = (day: string) => `${day.slice(0, 7)}-01`;

/** The spans of rows whose sum is the count on `day` (the earliest bucket is 0001-01-01: every date the tables hold is after it). */
function spansOf(day: string): Span[] {
  const next = addDays(day, 1);
  const beforeYear = addDays(yearOf(day), -1);
  if (next.endsWith('-01-01')) return [{ grain: 'year', from: '0001-01-01', to: yearOf(day) }];
  const years: Span[] = beforeYear < '0001-01-01' ? [] : [{ grain: 'year', from: '0001-01-01', to: beforeYear }];
  if (next.endsWith('-01')) return [...years, { grain: 'month', from: yearOf(day), to: monthOf(day) }];
  const months: Span[] = monthOf(day) === yearOf(day) ? [] : [{ grain: 'month', from: yearOf(day), to: addDays(monthOf(day), -1) }];
  return [...years, ...months, { grain: 'day', from: monthOf(day), to: day }];
}

/**
 * The spans of rows whose sum is the count on `day` alone, the fewest buckets of four ways to
 * read it: the days of its month up to it, or its month's row less the days after it; and the
 * months of its year before its month, or its year's row less its month and those after (less
 * the months after it alone, when the days are read from the month's end too, as the month's row
 * then cancels out). The same count either way (every change is kept on its day, in its month
 * and in its year); at most 15 days and 6 months, where the days up to it and the months before
 * it were up to 30 and 11 (spansOf): the rows of a date fill with the dossiers, so fewer buckets
 * are fewer rows read (bench/README.md, "The funnel's waits in bands").
 */
function fewestSpansOf(day: string): Span[] {
  const [year, month, end] = [yearOf(day), monthOf(day), endOfMonth(day)];
  const [m, d, last] = [Number(day.slice(5, 7)), Number(day.slice(8, 10)), Number(end.slice(8, 10))];
  const span = (grain: Grain, from: string, to: string, less?: true): Span[] => (from > to ? [] : [{ grain, from, to, ...(less ? { less } : {}) }]);
  const years = (to: string) => span('year', '0001-01-01', to);
  const [before, after] = [addDays(year, -1), addDays(end, 1)];
  const december = `${day.slice(0, 4)}-12-01`;
  const ways: Array<[buckets: number, spans: Span[]]> = [
    [m - 1 + d, [...years(before), ...span('month', year, addDays(month, -1)), ...span('day', month, day)]],
    [m + last - d, [...years(before), ...span('month', year, month), ...span('day', addDays(day, 1), end, true)]],
    [1 + 13 - m + d, [...years(year), ...span('month', month, december, true), ...span('day', month, day)]],
    [1 + 12 - m + last - d, [...years(year), ...span('month', after, december, true), ...span('day', addDays(day, 1), end, true)]],
  ];
  return ways.reduce((fewest, way) => (way[0] < fewest[0] ? way : fewest))[1];
}

/**
 * The counts of a statistic (or of several together: their cells are told apart by their
 * measures) at a level on each of `days`: for each day, its cells with a count other than 0.
 * `cohorts` keeps those cohorts only (from..to, both included; null: open),
 * `measures` those measures only (null: all); without `perCohort` the cohorts are
 * added up (each cell's cohort is ''). One read of the rows the days need (spansOf), summed by
 * PostgreSQL per cell (and per bucket for several days), and one pass over them however many
 * days: each row counts on a run of the sorted days (the days whose spans hold it: a year's row
 * from its last day on, a month's from its last day to its year's last day but one, a day's from
 * itself to its month's last day but one), found once per bucket by binary search; +n where a
 * run starts and -n after it ends, summed along the days, give every day's counts. Where each
 * day looked at every row, a 48-month question cost 48 times the rows (bench/README.md).
 */
export async function dateCountsOn(
  query: (sql: string, parameters: unknown[]) => Promise<unknown[]>,
  schema: string,
  statistic: DateStatistic | readonly DateStatistic[],
  level: DateCountLevel,
  days: readonly string[],
  cohorts: { from: string | null; to: string | null } = { from: null, to: null },
  measures: readonly string[] | null = null,
  perCohort = true,
): Promise<Map<string, DateCount[]>> {
  const sorted = [...new Set(days)].sort();
  const all = sorted.flatMap(spansOf);
  const params: unknown[] = [level, cohorts.from, cohorts.to];
  // The measures as a condition of the index scan (a list of keys' last column, where a prefix
  // was a filter of rows fetched): VDAB's population reads its half of the rows alone.
  const measured = measures === null ? '' : `AND measure = ANY($${params.push(measures)}::text[])`;
  // One day: its fewest spans. Several: the union of every day's spans, one range per grain (the
  // days' spans of a grain mostly overlap or touch).
  const spans: Span[] = sorted.length === 1 ? fewestSpansOf(sorted[0]) : [
    // Years and months: every day's spans start at the same bucket or at its year's first.
    ...(['year', 'month'] as const).flatMap((grain) => {
      const of = all.filter((span) => span.grain === grain);
      if (of.length === 0) return [];
      const from = of.reduce((min, span) => (span.from < min ? span.from : min), of[0].from);
      const to = of.reduce((max, span) => (span.to > max ? span.to : max), of[0].to);
      return [{ grain, from, to }];
    }),
    // Days: each month's days up to the last day asked in it, so days far apart read no days in
    // between, and two days of one month read its rows once (a range each would count them twice).
    ...[
      ...all
        .filter((span) => span.grain === 'day')
        .reduce((months, span) => months.set(span.from, [span.to, months.get(span.from) ?? span.to].sort()[1]), new Map<string, string>()),
    ].map(([from, to]): Span => ({ grain: 'day', from, to })),
  ];
  // Each span a range of the primary key (statistic, level, grain, bucket, …) read on its own;
  // several statistics in one scan of each span (a search of the index per statistic: fewer
  // subqueries to plan than a range of each).
  const statistics = typeof statistic === 'string' ? `= $${params.push(statistic)}` : `= ANY($${params.push(statistic)}::text[])`;
  const ranges = spans.map(
    ({ grain, from, to, less }) =>
      `SELECT grain, bucket, grp, cohort, measure, ${less ? '-n AS n' : 'n'} FROM ${schema}.${STAT_DATE_COUNTS_TABLE}
        WHERE statistic ${statistics} AND level = $1 AND grain = '${grain}' AND bucket BETWEEN $${params.push(from)}::date AND $${params.push(to)}::date
          AND ($2::text IS NULL OR cohort >= $2) AND ($3::text IS NULL OR cohort <= $3) ${measured}`,
  );
  // Summed by PostgreSQL per cell (the cohorts added up unless asked per cohort), and per row's
  // bucket when there are several days; one day counts every row read (its spans are exactly them).
  const several = sorted.length > 1;
  const keys = `${several ? 'grain, bucket, ' : ''}grp, ${perCohort ? 'cohort, ' : ''}measure`;
  const rows =
    ranges.length === 0
      ? []
      : ((await query(
          `SELECT ${several ? 'grain, bucket::text AS bucket, ' : ''}grp, ${perCohort ? 'cohort' : "''::text AS cohort"}, measure, sum(n)::int AS n
             FROM (${ranges.join(' UNION ALL ')}) AS r
            GROUP BY ${keys}
           HAVING sum(n) <> 0`,
          params,
        )) as Array<{ grain?: Grain; bucket?: string; grp: string; cohort: string; measure: string; n: number }>);
  // A row's run of the sorted days, [starts, ends): the days whose spans hold it.
  const before = (day: string) => {
    let [low, high] = [0, sorted.length];
    while (low < high) {
      const middle = (low + high) >> 1;
      if (sorted[middle] < day) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  const runs = new Map<string, [number, number]>();
  const runOf = (grain: Grain, bucket: string): [number, number] => {
    const key = `${grain}${bucket}`;
    let run = runs.get(key);
    if (!run) {
      // A year's row from its last day on; a month's from its last day to its year's last day but one; a day's from itself to its month's last day but one.
      const [first, last] =
        grain === 'year' ? [`${bucket.slice(0, 4)}-12-31`, null] : grain === 'month' ? [endOfMonth(bucket), `${bucket.slice(0, 4)}-12-30`] : [bucket, addDays(endOfMonth(bucket), -1)];
      run = [before(first), last === null ? sorted.length : before(addDays(last, 1))];
      runs.set(key, run);
    }
    return run;
  };
  const cells = new Map<string, { cell: Omit<DateCount, 'n'>; changes: Float64Array }>();
  for (const { grain, bucket, grp, cohort, measure, n } of rows) {
    const [starts, ends] = several ? runOf(grain!, bucket!) : [0, 1];
    if (ends <= starts) continue;
    const id = `${grp}\t${cohort}\t${measure}`;
    let kept = cells.get(id);
    if (!kept) cells.set(id, (kept = { cell: { grp, cohort, measure }, changes: new Float64Array(sorted.length + 1) }));
    kept.changes[starts] += n;
    kept.changes[ends] -= n;
  }
  const byDay = sorted.map(() => [] as DateCount[]);
  for (const { cell, changes } of cells.values()) {
    let n = 0;
    for (const [index, counts] of byDay.entries()) {
      n += changes[index];
      if (n !== 0) counts.push({ ...cell, n });
    }
  }
  const at = new Map(sorted.map((day, index) => [day, byDay[index]]));
  return new Map(days.map((day) => [day, at.get(day)!]));
}
