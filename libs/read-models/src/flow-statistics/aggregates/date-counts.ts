import { ACTIVE_STAGES, addDays, daysBetween, endOfMonth, type ActiveStage } from '@app/domain';
import type { ProjectionContext } from '@app/projection-engine';
import { reachDates, STEP_EVENTS } from '../funnel-steps';
import { Codes, Deltas, type CountTable } from './delta';
import { eachRowOfText, type RowsText } from './rows-as-text';

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
 * The funnel's waits are kept twice (DateCountContributions.add): in the funnel's own cells, per band of
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

/**
 * A dossier's period valid now (a row of stat_dossier_periods whose recorded_to is null), the
 * values the counts read: a SituationPeriod of the fold's, or a row read back.
 */
export interface CurrentPeriod {
  validFrom: string;
  validTo: string | null;
  active: boolean;
  stage: string;
  housingType: string | null;
  provinceNis: string | null;
  employedNow: boolean;
  everEmployed: boolean;
  vdab: boolean;
  residenceStatus: string;
}

/** A dossier's event valid now (a row of stat_events whose recorded_to is null), the values the counts read. */
export interface CurrentEvent {
  type: string;
  occurredOn: string;
  /** Where it counts by registration (its attribution). */
  provinceNis: string | null;
}

/** A dossier's current rows. */
export interface DossierRows {
  periods: readonly CurrentPeriod[];
  events: readonly CurrentEvent[];
}

/** The stock's measures of an active period (stock.ts reads them back). */
export const stockMeasures = (p: CurrentPeriod): string[] => [
  'active',
  `stage:${p.stage}`,
  `housing:${p.housingType ?? 'none'}`,
  `status:${p.residenceStatus}`,
  ...(p.everEmployed ? ['ever'] : []),
  ...(p.employedNow ? ['now'] : []),
];

/** VDAB's measure of a count (registered, ever employed, employed now) in a population (all; active): vdab.ts reads them back. */
export const vdabMeasure = (population: 'all' | 'active', count: 'registered' | 'ever' | 'now') => `${population}:${count}`;

/** VDAB's measures of a period at VDAB: per population, registered, ever employed, employed now. */
export const vdabMeasuresOf = (p: Pick<CurrentPeriod, 'active' | 'everEmployed' | 'employedNow'>): string[] =>
  (p.active ? (['all', 'active'] as const) : (['all'] as const)).flatMap((population) => [
    vdabMeasure(population, 'registered'),
    ...(p.everEmployed ? [vdabMeasure(population, 'ever')] : []),
    ...(p.employedNow ? [vdabMeasure(population, 'now')] : []),
  ]);

/** The funnel's measures (queries/funnel.ts reads them back): those at step i, a wait of `days` days to it, and its band. */
const atAllMeasure = (step: number) => `atAll:${step}`;
const bandMeasure = (step: number, band: number) => `band:${step}:${band}`;
const waitMeasure = (step: number, days: number) => `wait:${step}:${days}`;
/** The funnel's cohort of a registration on `day` (its month), VDAB's of a first registration there (its year). */
const funnelCohort = (day: string) => day.slice(0, 7);
const vdabCohort = (day: string) => day.slice(0, 4);

/** The step (ACTIVE_STAGES' index) whose first date an event of each type can be. */
const STEP_OF_EVENT = new Map<string, number>(ACTIVE_STAGES.map((step, index) => [STEP_EVENTS[step], index]));

/** The buckets of a day at each grain (day, month, year), in GRAINS' order. */
const GRAINS: readonly Grain[] = ['day', 'month', 'year'];
const bucketsOfDay = (day: string): [string, string, string] => [day, `${day.slice(0, 7)}-01`, `${day.slice(0, 4)}-01-01`];

/** Changes of stat_date_counts, keyed as DATE_COUNTS. */
export const noDateCountDeltas = (): Deltas => new Deltas(DATE_COUNTS.keys.length);

/**
 * Dossiers' contributions to every count, added to `deltas` (add). Each contribution goes
 * into its day's, month's and year's cell, for all (level none) and for its province. The codes of
 * the texts a contribution is made of (measures, cohorts, a day's buckets, a date's day number)
 * are found once per text and kept here, as `deltas` keeps its codes (cleared or not): a
 * dossier's contribution is then some Map lookups of texts it already has and the cells' adds,
 * where it built and looked up every measure's text again (bench/README.md, "The flow
 * statistics' fold: compared from where it resumed, counted from its timeline now").
 */
export class DateCountContributions {
  private readonly codes: Codes;
  private readonly level: { none: number; province: number };
  private readonly nothing: number;
  private readonly statistic: { stock: number; vdab: number; funnel: number };
  private readonly grains: number[];
  private readonly count0: number;
  private readonly cell = [0, 0, 0, 0, 0, 0, 0];
  /** The buckets' codes of each day (GRAINS' order), by the day's text: some thousand days for millions of contributions. */
  private readonly buckets = new Map<string, number[]>();
  /** The stock's measures' codes by stage, housing type, status, and ever employed and employed now (2 + 1). */
  private readonly stockCodes = new Map<string, Map<string | null, Map<string, Array<number[] | undefined>>>>();
  /** VDAB's measures' codes by active, ever employed and employed now (4 + 2 + 1). */
  private readonly vdabCodes: Array<number[] | undefined> = [];
  private readonly atAllCodes: number[] = [];
  /** Per step, the codes of bands, of waits, and of the bands' statistics (funnelWaitStatistic), by number. */
  private readonly bandCodes: Array<Map<number, number>> = [];
  private readonly waitCodes: Array<Map<number, number>> = [];
  private readonly waitStatisticCodes: Array<Map<number, number>> = [];
  /** Cohorts' codes by the date they are of. */
  private readonly funnelCohorts = new Map<string, number>();
  private readonly vdabCohorts = new Map<string, number>();
  /** Dates' day numbers (daysBetween from DAY_ZERO). */
  private readonly dayNumbers = new Map<string, number>();
  /** The first date of each step's event of the dossier being added (ACTIVE_STAGES' order). */
  private readonly first = Object.fromEntries(ACTIVE_STAGES.map((step) => [step, null])) as Record<ActiveStage, string | null>;

  constructor(readonly deltas: Deltas = noDateCountDeltas()) {
    const codes = (this.codes = deltas.codes);
    this.level = { none: codes.of('none'), province: codes.of('province') };
    this.nothing = codes.of('');
    this.statistic = { stock: codes.of('stock'), vdab: codes.of('vdab'), funnel: codes.of('funnel') };
    this.grains = GRAINS.map((grain) => codes.of(grain));
    this.count0 = codes.of('count:0');
  }

  /**
   * Adds `sign` times one dossier's contribution to every count: the stock's and VDAB's from its
   * periods (on the day a period starts, off the day it ends), the funnel's from its first dates of
   * each step (funnel-steps.ts): in its registration cohort (month) and place, `atAll:i` on the day
   * it has step i's event and is registered, and on the day it reaches step i: `count:0` for the
   * first step, and for a later one its wait (the days from step i-1), `band:i:<band>` and, under
   * `funnel-wait:i:<band>`, `wait:i:<days>`. A later step's count is the sum of its bands: kept once,
   * each reach adds as many cells as when the count and the wait to the day were the funnel's.
   */
  add(rows: DossierRows, sign: 1 | -1): void {
    const { nothing, statistic, first } = this;
    // VDAB's cohort: the year of the person's first VDAB registration, '' without one.
    let firstVdab: string | null = null;
    for (const e of rows.events) if (e.type === 'VdabRegistered' && (firstVdab === null || e.occurredOn < firstVdab)) firstVdab = e.occurredOn;
    const cohort = firstVdab === null ? nothing : this.cached(this.vdabCohorts, firstVdab, vdabCohort);
    this.spans(statistic.stock, rows.periods, nothing, sign);
    this.spans(statistic.vdab, rows.periods, cohort, sign);
    let registration: CurrentEvent | undefined;
    for (const step of ACTIVE_STAGES) first[step] = null;
    for (const e of rows.events) {
      if (registration === undefined && e.type === 'DossierRegistered') registration = e;
      const step = STEP_OF_EVENT.get(e.type);
      if (step === undefined) continue;
      const known = first[ACTIVE_STAGES[step]];
      if (known === null || e.occurredOn < known) first[ACTIVE_STAGES[step]] = e.occurredOn;
    }
    if (!registration) return;
    const registered = first.registered!;
    const place = this.codes.of(registration.provinceNis ?? '');
    const funnelCohortCode = this.cached(this.funnelCohorts, registered, funnelCohort);
    const funnel = (day: string, measure: number, of = statistic.funnel) => this.addCells(of, day, place, funnelCohortCode, measure, sign);
    const reached = reachDates(first);
    for (let index = 0; index < ACTIVE_STAGES.length; index++) {
      const date = first[ACTIVE_STAGES[index]];
      if (date) funnel(date > registered ? date : registered, (this.atAllCodes[index] ??= this.codes.of(atAllMeasure(index))));
      const on = reached[index];
      if (!on) continue;
      if (index === 0) {
        funnel(on, this.count0);
        continue;
      }
      const days = this.dayNumber(on) - this.dayNumber(reached[index - 1]!);
      const band = waitBand(days);
      funnel(on, this.numbered(this.bandCodes, index, band, bandMeasure));
      funnel(on, this.numbered(this.waitCodes, index, days, waitMeasure), this.numbered(this.waitStatisticCodes, index, band, funnelWaitStatistic));
    }
  }

  /**
   * The stock's or VDAB's contribution of a dossier's periods: each period's measures from the
   * day it starts, taken back from the day it ends. Where a period starts on the day the one
   * before it in the list ends, in the same place, only the measures that differ change on that
   * day: the others' -1 and +1 would cancel in the same cells (most of a dossier's changes move one
   * or two of a period's four to six measures). Right in any order (each period still starts and
   * ends once); the fold's periods come in order of their first days, so theirs all net.
   */
  private spans(statistic: number, periods: readonly CurrentPeriod[], cohort: number, sign: 1 | -1): void {
    const stock = statistic === this.statistic.stock;
    // The period before, if it counts: its measures, place and end.
    let open: readonly number[] | undefined;
    let openPlace = 0;
    let openTo: string | null = null;
    for (const p of periods) {
      const measures = stock ? (p.active ? this.stockCodesOf(p) : undefined) : p.vdab ? this.vdabCodesOf(p) : undefined;
      const place = measures ? this.codes.of(p.provinceNis ?? '') : 0;
      if (open && measures && openTo === p.validFrom && openPlace === place) {
        for (const measure of open) if (!measures.includes(measure)) this.addCells(statistic, p.validFrom, place, cohort, measure, -sign);
        for (const measure of measures) if (!open.includes(measure)) this.addCells(statistic, p.validFrom, place, cohort, measure, sign);
      } else {
        if (open && openTo !== null) for (const measure of open) this.addCells(statistic, openTo, openPlace, cohort, measure, -sign);
        if (measures) for (const measure of measures) this.addCells(statistic, p.validFrom, place, cohort, measure, sign);
      }
      open = measures;
      openPlace = place;
      openTo = p.validTo;
    }
    if (open && openTo !== null) for (const measure of open) this.addCells(statistic, openTo, openPlace, cohort, measure, -sign);
  }

  /** Adds n to a count's cells of the day, its month and its year, for all and for the place. */
  private addCells(statistic: number, day: string, place: number, cohort: number, measure: number, n: number): void {
    const { cell, grains, deltas, level, nothing } = this;
    let at = this.buckets.get(day);
    if (!at) this.buckets.set(day, (at = bucketsOfDay(day).map((bucket) => this.codes.of(bucket))));
    cell[0] = statistic;
    cell[5] = cohort;
    cell[6] = measure;
    for (let grain = 0; grain < 3; grain++) {
      cell[2] = grains[grain];
      cell[3] = at[grain];
      cell[1] = level.none;
      cell[4] = nothing;
      deltas.add(cell, n);
      cell[1] = level.province;
      cell[4] = place;
      deltas.add(cell, n);
    }
  }

  private stockCodesOf(p: CurrentPeriod): number[] {
    let byHousing = this.stockCodes.get(p.stage);
    if (!byHousing) this.stockCodes.set(p.stage, (byHousing = new Map()));
    let byStatus = byHousing.get(p.housingType);
    if (!byStatus) byHousing.set(p.housingType, (byStatus = new Map()));
    let byEmployment = byStatus.get(p.residenceStatus);
    if (!byEmployment) byStatus.set(p.residenceStatus, (byEmployment = []));
    const at = (p.everEmployed ? 2 : 0) + (p.employedNow ? 1 : 0);
    return (byEmployment[at] ??= stockMeasures(p).map((measure) => this.codes.of(measure)));
  }

  private vdabCodesOf(p: CurrentPeriod): number[] {
    const at = (p.active ? 4 : 0) + (p.everEmployed ? 2 : 0) + (p.employedNow ? 1 : 0);
    return (this.vdabCodes[at] ??= vdabMeasuresOf(p).map((measure) => this.codes.of(measure)));
  }

  /** The code of `text(step, n)`, found once. */
  private numbered(cache: Array<Map<number, number>>, step: number, n: number, text: (step: number, n: number) => string): number {
    const byN = (cache[step] ??= new Map());
    let code = byN.get(n);
    if (code === undefined) byN.set(n, (code = this.codes.of(text(step, n))));
    return code;
  }

  /** The code of `text(date)`, found once per date. */
  private cached(cache: Map<string, number>, date: string, text: (date: string) => string): number {
    let code = cache.get(date);
    if (code === undefined) cache.set(date, (code = this.codes.of(text(date))));
    return code;
  }

  private dayNumber(date: string): number {
    let n = this.dayNumbers.get(date);
    if (n === undefined) this.dayNumbers.set(date, (n = daysBetween(DAY_ZERO, date)));
    return n;
  }
}

/** Where dates' day numbers count from (any date: only their differences are read). */
const DAY_ZERO = '2000-01-01';

/**
 * The changes of stat_date_counts when dossiers' rows go from `before` to `after` (each dossier's
 * current rows; a dossier new to the table has none before), added to `deltas` (changes held from
 * earlier batches) when given. A dossier's unchanged periods cancel out in their cells (a cell
 * whose changes sum to 0 is no change: Deltas.changes leaves it out).
 */
export function dateCountDeltas(before: Iterable<DossierRows>, after: Iterable<DossierRows>, deltas = noDateCountDeltas()): Deltas {
  const contributions = new DateCountContributions(deltas);
  for (const rows of before) contributions.add(rows, -1);
  for (const rows of after) contributions.add(rows, 1);
  return deltas;
}

/** The current rows of the dossiers as the tables of `context.schema` hold them. */
export async function storedDossierRows(context: Pick<ProjectionContext, 'schema' | 'query'>, dossierIds: readonly string[]): Promise<DossierRows[]> {
  if (dossierIds.length === 0) return [];
  const group = <T>(rows: Array<T & { dossierId: string }>) => {
    const byDossier = new Map<string, T[]>();
    for (const row of rows) byDossier.set(row.dossierId, [...(byDossier.get(row.dossierId) ?? []), row]);
    return byDossier;
  };
  const periods = group<CurrentPeriod>(
    await context.query(
      `SELECT dossier_id::text AS "dossierId", valid_from::text AS "validFrom", valid_to::text AS "validTo", active, stage, housing_type AS "housingType",
              province_nis AS "provinceNis", employed_now AS "employedNow", ever_employed AS "everEmployed", vdab, residence_status AS "residenceStatus"
         FROM ${context.schema}.stat_dossier_periods WHERE dossier_id = ANY($1::uuid[]) AND recorded_to IS NULL`,
      [dossierIds],
    ),
  );
  const events = group<CurrentEvent>(
    await context.query(
      `SELECT dossier_id::text AS "dossierId", type, occurred_on::text AS "occurredOn", province_nis AS "provinceNis"
         FROM ${context.schema}.stat_events WHERE dossier_id = ANY($1::uuid[]) AND recorded_to IS NULL`,
      [dossierIds],
    ),
  );
  return dossierIds.map((id) => ({ periods: periods.get(id) ?? [], events: events.get(id) ?? [] }));
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
 * spansOf's spans by day, worked out once: the same days come back question after question (the
 * month ends of every range), and their spans and dates were some 5% of what the range answers
 * allocated (bench/README.md, "Computed range answers' per-answer work (thirteenth session)").
 * Emptied when full (a day's spans never change).
 */
const SPANS_BY_DAY = new Map<string, readonly Span[]>();
const MAX_DAYS_KEPT = 4096;

function keptSpansOf(day: string): readonly Span[] {
  let spans = SPANS_BY_DAY.get(day);
  if (spans === undefined) {
    if (SPANS_BY_DAY.size >= MAX_DAYS_KEPT) SPANS_BY_DAY.clear();
    SPANS_BY_DAY.set(day, (spans = Object.freeze(spansOf(day).map((span) => Object.freeze(span)))));
  }
  return spans;
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
 * The read of kept counts, a function of the read model's schema (created by the migration
 * FlowStatisticsDateCountsRead1733529600090, which says why): its planner settings are the
 * function's own, so its call is one statement with parameters that a connection prepares once
 * (bench/README.md, "Computed range answers: the date counts prepared, validation, VDAB's points
 * (fourteenth session)"). Its parameters: the statistics, the level, the spans' grains, first
 * and last buckets and signs, the cohorts' bounds, the measures (null: all), whether several
 * days are asked, whether per cohort.
 */
export const DATE_COUNTS_READ_SQL = 'SELECT rows, count FROM read_models.stat_date_counts_on($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)';

/**
 * The counts of a statistic (or of several together: their cells are told apart by their
 * measures) at a level on each of `days`, per cell (DateCountCells; dateCountsOn: per day).
 * `cohorts` keeps those cohorts only (from..to, both included; null: open),
 * `measures` those measures only (null: all); without `perCohort` the cohorts are
 * added up (each cell's cohort is ''). One read of the rows the days need (spansOf, kept by day), summed by
 * PostgreSQL per cell (and per bucket for several days), and one pass over them however many
 * days: each row counts on a run of the sorted days (the days whose spans hold it: a year's row
 * from its last day on, a month's from its last day to its year's last day but one, a day's from
 * itself to its month's last day but one), found once per bucket by binary search; +n where a
 * run starts and -n after it ends, summed along the days, give every day's counts. Where each
 * day looked at every row, a 48-month question cost 48 times the rows (bench/README.md).
 */
export async function dateCountCellsOn(
  query: (sql: string, parameters: unknown[]) => Promise<unknown[]>,
  statistic: DateStatistic | readonly DateStatistic[],
  level: DateCountLevel,
  days: readonly string[],
  cohorts: { from: string | null; to: string | null } = { from: null, to: null },
  measures: readonly string[] | null = null,
  perCohort = true,
): Promise<DateCountCells> {
  const sorted = [...new Set(days)].sort();
  const all = sorted.flatMap(keptSpansOf);
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
  // Read by DATE_COUNTS_READ_SQL: each span a range of the primary key (statistic, level, grain,
  // bucket, …), several statistics in one scan of each span (a search of the index per
  // statistic), the measures asked and the cohorts' bounds conditions of the scan (VDAB's
  // population reads its half of the rows alone). Summed by PostgreSQL per cell (the cohorts
  // added up unless asked per cohort), and per row's bucket when there are several days; one day
  // counts every row read (its spans are exactly them). The sums come back as one text
  // (rows-as-text.ts: some 1,500 rows for VDAB's 48 month ends by province), a row as three
  // fields: its grain and bucket (its run of the days), its cell (group, cohort and measure,
  // tab-separated: the codes and names hold no tab) and its sum, so that a row is three strings,
  // each a map's key as it is (bench/README.md, "Computed range answers' allocations (twelfth
  // session)": six fields and two keys joined from them each row before).
  const several = sorted.length > 1;
  const read: RowsText =
    spans.length === 0
      ? { rows: null, count: 0 }
      : (
          (await query(DATE_COUNTS_READ_SQL, [
            typeof statistic === 'string' ? [statistic] : statistic,
            level,
            spans.map((span) => span.grain),
            spans.map((span) => span.from),
            spans.map((span) => span.to),
            spans.map((span) => (span.less ? -1 : 1)),
            cohorts.from,
            cohorts.to,
            measures,
            several,
            perCohort,
          ])) as RowsText[]
        )[0];
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
  const ONE_DAY: [number, number] = [0, 1];
  const runs = new Map<string, [number, number]>();
  // `run`: the row's grain and bucket, as read (`month2024-03-01`).
  const runOf = (run: string): [number, number] => {
    let days = runs.get(run);
    if (!days) {
      const grain = GRAINS.find((grain) => run.startsWith(grain))!;
      const bucket = run.slice(grain.length);
      // A year's row from its last day on; a month's from its last day to its year's last day but
      // one; a day's from itself to its month's last day but one (`after`: the day after the run,
      // so that no date is worked out twice).
      const [first, after] =
        grain === 'year' ? [`${bucket.slice(0, 4)}-12-31`, null] : grain === 'month' ? [endOfMonth(bucket), `${bucket.slice(0, 4)}-12-31`] : [bucket, endOfMonth(bucket)];
      days = [before(first), after === null ? sorted.length : before(after)];
      runs.set(run, days);
    }
    return days;
  };
  const cells = new Map<string, DateCountCell>();
  eachRowOfText(read, ([run, id, sum]) => {
    const n = Number(sum);
    const [starts, ends] = several ? runOf(run) : ONE_DAY;
    if (ends <= starts) return;
    let kept = cells.get(id);
    if (!kept) {
      const [grp, cohort, measure] = id.split('\t');
      cells.set(id, (kept = { grp, cohort, measure, counts: new Float64Array(sorted.length + 1) }));
    }
    kept.counts[starts] += n;
    kept.counts[ends] -= n;
  });
  // The changes summed along the days, in place: each cell's count on every day.
  for (const { counts } of cells.values()) for (let index = 1; index < sorted.length; index++) counts[index] += counts[index - 1];
  return { days: sorted, cells: [...cells.values()] };
}

/** A cell of the counts on several days (DateCountCells): its group, cohort and measure as DateCount's, and `counts[i]` its count on the i-th day. */
export interface DateCountCell extends Omit<DateCount, 'n'> {
  readonly counts: Float64Array;
}

/**
 * The counts of a read of kept counts on several days: `days`, the days asked, sorted, each once;
 * `cells`, every cell read (a cell may count 0 on some days, or on all of them where its changes
 * cancel), its count on each day by the day's index. What the counts' readers that sum cells per
 * group read (VDAB's tallies), where one object per cell and day was most of what a read of 48
 * days allocated (bench/README.md, "Computed range answers: the date counts prepared, validation,
 * VDAB's points (fourteenth session)").
 */
export interface DateCountCells {
  readonly days: readonly string[];
  readonly cells: readonly DateCountCell[];
}

/**
 * The counts of a statistic (or of several together: their cells are told apart by their
 * measures) at a level on each of `days`: for each day, its cells with a count other than 0
 * (dateCountCellsOn's cells, one object per cell and day).
 */
export async function dateCountsOn(...read: Parameters<typeof dateCountCellsOn>): Promise<Map<string, DateCount[]>> {
  const [, , , days] = read;
  return countsByDay(days, await dateCountCellsOn(...read));
}

/** The cells' counts other than 0, by day, for each of `days` (as asked: the same day twice is one). */
export function countsByDay(days: readonly string[], { days: sorted, cells }: DateCountCells): Map<string, DateCount[]> {
  const byDay = sorted.map(() => [] as DateCount[]);
  for (const { grp, cohort, measure, counts } of cells) {
    for (let index = 0; index < byDay.length; index++) {
      const n = counts[index];
      // Written out, not spread from the cell (see queries/vdab.ts's tallies).
      if (n !== 0) byDay[index].push({ grp, cohort, measure, n });
    }
  }
  const at = new Map(sorted.map((day, index) => [day, byDay[index]]));
  return new Map(days.map((day) => [day, at.get(day)!]));
}
