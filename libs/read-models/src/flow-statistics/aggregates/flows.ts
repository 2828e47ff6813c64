import type { DataSource } from 'typeorm';
import { poolOf, PreparedNames, sentWithCallback } from '@app/platform';
import { READ_MODEL_SCHEMA, type ProjectionContext } from '@app/projection-engine';
import { bucketOf, calendarEnd, INTERVALS, type Interval, type Period } from '../queries/periods';
import type { Attribution, StatEvent } from '../situation';
import { applyDeltas, Codes, Deltas, type CountTable } from './delta';
import { eachRowOfText, rowsAsText, type RowsText } from './rows-as-text';

/**
 * The flows' counts per calendar period, kept by the projection so that a question about whole
 * periods reads a few rows per period instead of every event (queries/flows.ts). A row holds,
 * for one interval kind, one calendar period (its first day), one grouping level (none, province
 * or municipality of registration, as recorded) and group, one measure (an event type, or a
 * reading of readings.ts) and one category (a reason, trajectory or status moved to; '' the
 * measure's total): the events counted there and the persons (dossiers) who had at least one.
 *
 * It is a sum over dossiers of each dossier's contribution, computed from that dossier's current
 * rows of stat_events alone (FlowContributions.add). Whenever the projection replaces a dossier's rows it
 * adds the contribution of its new rows and takes away that of its old ones, in the same
 * transaction (applyFlowCountChanges, with aggregates/delta.ts), so an event recorded late, a reopening elsewhere or a
 * changed attribution lands in its own periods and groups, and the table is the same however the
 * events were batched (a count that reaches 0 is deleted).
 *
 * stat_flow_days holds the same counts per day of each period: the events on the day, and the
 * persons whose first, and whose last, such event of the period is on it. The part of a period
 * from its start to a day (a range's last period) has the persons whose first event is on or
 * before the day; the part from a day to its end (a range's first period), those whose last
 * event is on or after it: so a period a question clips is read from at most its days' rows. It is
 * kept for all and per province, not per municipality: per municipality the day rows would be
 * most of the upkeep (a day's counts of each of ~300 municipalities), and a clipped period per
 * municipality reads its own days' events instead.
 */
export const STAT_FLOW_COUNTS_TABLE = 'stat_flow_counts';
export const STAT_FLOW_DAYS_TABLE = 'stat_flow_days';

/** The grouping levels the table keeps, each a marginal count of its own (not a combination). */
export const FLOW_LEVELS = ['none', 'province', 'municipality'] as const;
export type FlowLevel = (typeof FLOW_LEVELS)[number];

/** A current row of stat_events, as the flows count it. */
export interface FlowEvent {
  dossierId: string;
  version: number;
  type: string;
  occurredOn: string;
  /** A rehousing's or departure's reason, a trajectory, the status moved to (coalesced as the flows query does); null: none. */
  category: string | null;
  /** Where the event counts by registration (the row's municipality and province_nis). */
  municipality: string | null;
  provinceNis: string | null;
}

/** A kept event as the flows count it, with where it counts by registration (its attribution, recorded-history.ts). */
export const flowEventOf = (event: StatEvent, where: Pick<Attribution, 'municipality' | 'provinceNis'>): FlowEvent => ({
  dossierId: event.dossierId,
  version: event.version,
  type: event.type,
  occurredOn: event.occurredOn,
  // As the flows query (queries/flows.ts) and currentFlowEventsOf coalesce them.
  category: event.reason ?? event.trajectory ?? event.residenceStatus,
  municipality: where.municipality,
  provinceNis: where.provinceNis,
});

/**
 * A count of a period as readFlowCounts reads it: the period (its first day); the province's or
 * municipality's code ('' without a place (level none), for Brussels' province, or where the row
 * had none, as keyOf reads groups); the measure and the category ('' the measure's total); the
 * events counted and the persons who had at least one.
 */
export type FlowCount = [period: string, grp: string, measure: string, category: string, events: number, persons: number];

const inBusinessOrder = (a: FlowEvent, b: FlowEvent) => (a.occurredOn < b.occurredOn ? -1 : a.occurredOn > b.occurredOn ? 1 : a.version - b.version);

/**
 * The second readings (queries/readings.ts) among one dossier's events, as rows counted like its
 * events: its first PersonHoused of all, and every EmploymentEnded and every PersonLeft whose
 * latest job event before it (EmploymentStarted, EmploymentEnded, PersonLeft, in business
 * order) is an EmploymentStarted. readings.ts states the rule in SQL for the questions read from
 * every row (as recorded at a moment, on a map, by person; and the test oracle), and
 * aggregates/flows.spec.ts holds the two equal (every count, cell by cell, each reading's
 * included). Neither can call the other for free: the fold would ask PostgreSQL once per dossier,
 * and those questions would read every row of the range into the service instead of counting in
 * PostgreSQL.
 */
export function readingsOf(events: readonly FlowEvent[]): FlowEvent[] {
  const ordered = [...events].sort(inBusinessOrder);
  const readings: FlowEvent[] = [];
  const firstHousing = ordered.find((event) => event.type === 'PersonHoused');
  if (firstHousing) readings.push({ ...firstHousing, type: 'FirstHousingEver', category: null });
  let before: string | null = null;
  for (const event of ordered) {
    if (event.type !== 'EmploymentStarted' && event.type !== 'EmploymentEnded' && event.type !== 'PersonLeft') continue;
    if (event.type === 'EmploymentEnded' || (event.type === 'PersonLeft' && before === 'EmploymentStarted')) {
      readings.push({ ...event, type: 'EmploymentEndedOrLeftEmployed', category: null });
    }
    before = event.type;
  }
  return readings;
}

/** The group of an event at a grouping level. */
const groupAt = (level: FlowLevel, event: FlowEvent) => (level === 'none' ? '' : ((level === 'province' ? event.provinceNis : event.municipality) ?? ''));

/** The grouping levels stat_flow_days keeps: per municipality, a clipped period reads its days' rows of stat_events. */
const DAY_LEVELS: ReadonlySet<FlowLevel> = new Set(['none', 'province']);

const FLOW_KEYS = [
  ['interval', 'text'],
  ['level', 'text'],
  ['period', 'date'],
  ['grp', 'text'],
  ['measure', 'text'],
  ['category', 'text'],
] as const;
export const FLOW_COUNTS: CountTable = { name: STAT_FLOW_COUNTS_TABLE, keys: FLOW_KEYS, counts: ['events', 'persons'] };
export const FLOW_DAYS: CountTable = {
  name: STAT_FLOW_DAYS_TABLE,
  keys: [...FLOW_KEYS, ['day', 'date']],
  counts: ['events', 'first_persons', 'last_persons'],
  primaryKey: ['interval', 'level', 'period', 'day', 'grp', 'measure', 'category'],
};

/**
 * Dossiers' contributions to stat_flow_counts and stat_flow_days, added to `deltas` (add). The
 * codes of the intervals, levels and groups, and each day's periods, are found once here for
 * every dossier added, as `deltas` keeps its codes (cleared or not).
 */
export class FlowContributions {
  private readonly codes: Codes;
  private readonly intervals: number[];
  private readonly levels: number[];
  private readonly daily = FLOW_LEVELS.map((level) => DAY_LEVELS.has(level));
  private readonly dailyLevels: Set<number>;
  private readonly nothing: number;
  /** The periods of each day (by its text), one per interval: some thousand days for millions of events. */
  private readonly periodsOf = new Map<string, number[]>();
  private readonly groups = FLOW_LEVELS.map(() => 0);
  /** The dossier's first and last day of each count (codes, plus one: 0 is none yet), in its periods' keys. */
  private readonly spans: Deltas;
  private readonly key = [0, 0, 0, 0, 0, 0];
  private readonly dayKey = [0, 0, 0, 0, 0, 0, 0];

  constructor(readonly deltas: FlowCountDeltas = noFlowCountDeltas()) {
    const codes = (this.codes = deltas.periods.codes);
    this.intervals = INTERVALS.map((interval) => codes.of(interval));
    this.levels = FLOW_LEVELS.map((level) => codes.of(level));
    this.nothing = codes.of('');
    this.dailyLevels = new Set(FLOW_LEVELS.filter((level) => DAY_LEVELS.has(level)).map((level) => codes.of(level)));
    this.spans = new Deltas(FLOW_KEYS.length, 2, codes, 64);
  }

  /**
   * Adds `sign` times one dossier's contribution of its current events (in any order) and their
   * readings: to the periods' counts (events, persons), every event where it lands and the dossier
   * once as a person per count; to the days' (events, first_persons, last_persons; levels none and
   * province), per day of those periods, the events on it and the dossier on the days of its first
   * and of its last such event of the period.
   */
  add(own: readonly FlowEvent[], sign: 1 | -1): void {
    const { codes, intervals, levels, daily, dailyLevels, nothing, periodsOf, groups, spans, key, dayKey } = this;
    const { periods, days } = this.deltas;
    spans.clear();
    // In business order, the first seen is the first.
    for (const event of [...own, ...readingsOf(own)].sort(inBusinessOrder)) {
      const day = codes.of(event.occurredOn);
      let buckets = periodsOf.get(event.occurredOn);
      if (!buckets) periodsOf.set(event.occurredOn, (buckets = INTERVALS.map((interval) => codes.of(bucketOf(event.occurredOn, interval)))));
      for (let j = 0; j < FLOW_LEVELS.length; j++) groups[j] = codes.of(groupAt(FLOW_LEVELS[j], event));
      key[4] = codes.of(event.type);
      const category = event.category === null ? -1 : codes.of(event.category);
      for (let i = 0; i < intervals.length; i++) {
        key[0] = intervals[i];
        key[2] = buckets[i];
        for (let j = 0; j < levels.length; j++) {
          key[1] = levels[j];
          key[3] = groups[j];
          for (let c = 0; c < (category < 0 ? 1 : 2); c++) {
            key[5] = c === 0 ? nothing : category;
            const span = spans.slotOf(key);
            if (spans.count(span, 0) === 0) spans.setCount(span, 0, day + 1);
            spans.setCount(span, 1, day + 1);
            periods.add(key, sign);
            if (!daily[j]) continue;
            for (let k = 0; k < key.length; k++) dayKey[k] = key[k];
            dayKey[6] = day;
            days.add(dayKey, sign);
          }
        }
      }
    }
    for (const { key: cell, slot } of spans.cellCodes()) {
      periods.add(cell, sign, 1);
      if (!dailyLevels.has(cell[1])) continue;
      for (let k = 0; k < cell.length; k++) dayKey[k] = cell[k];
      dayKey[6] = spans.count(slot, 0) - 1;
      days.add(dayKey, sign, 1);
      dayKey[6] = spans.count(slot, 1) - 1;
      days.add(dayKey, sign, 2);
    }
  }
}

/** The events of each dossier among current rows of several. */
function byDossier(events: readonly FlowEvent[]): Iterable<FlowEvent[]> {
  const of = new Map<string, FlowEvent[]>();
  for (const event of events) {
    const kept = of.get(event.dossierId);
    if (kept) kept.push(event);
    else of.set(event.dossierId, [event]);
  }
  return of.values();
}

/** Changes of stat_flow_counts (`periods`) and stat_flow_days (`days`). */
export interface FlowCountDeltas {
  periods: Deltas;
  days: Deltas;
}

export function noFlowCountDeltas(): FlowCountDeltas {
  // One set of codes: a day's key is its period's key and the day.
  const codes = new Codes();
  return { periods: new Deltas(FLOW_COUNTS.keys.length, FLOW_COUNTS.counts!.length, codes), days: new Deltas(FLOW_DAYS.keys.length, FLOW_DAYS.counts!.length, codes) };
}

/**
 * The changes of stat_flow_counts and stat_flow_days when dossiers' current events go from
 * `before` to `after` (each list every current row of its dossiers), added to `deltas` (changes
 * held from earlier batches) when given.
 */
export function flowCountDeltas(before: readonly FlowEvent[], after: readonly FlowEvent[], deltas = noFlowCountDeltas()): FlowCountDeltas {
  const contributions = new FlowContributions(deltas);
  for (const own of byDossier(before)) contributions.add(own, -1);
  for (const own of byDossier(after)) contributions.add(own, 1);
  return deltas;
}

/** Adds the changes to both tables. */
async function applyFlowCountDeltas(context: CountsContext, deltas: FlowCountDeltas): Promise<void> {
  for (const [table, changes] of [[FLOW_COUNTS, deltas.periods], [FLOW_DAYS, deltas.days]] as const) await applyDeltas(context, table, changes);
}

/** What the counts need of a context: SQL in its transaction, on its schema (a rebuild's own, or the live one). */
export type CountsContext = Pick<ProjectionContext, 'schema' | 'query'>;

/** The current rows of stat_events of these dossiers, as the flows count them. */
export async function currentFlowEventsOf(context: CountsContext, dossierIds: readonly string[]): Promise<FlowEvent[]> {
  if (dossierIds.length === 0) return [];
  const rows = (await context.query(
    `SELECT dossier_id::text AS "dossierId", version, type, occurred_on::text AS "occurredOn",
            coalesce(reason, trajectory, residence_status) AS category, municipality, province_nis AS "provinceNis"
       FROM ${context.schema}.stat_events WHERE dossier_id = ANY($1::uuid[]) AND recorded_to IS NULL`,
    [dossierIds],
  )) as FlowEvent[];
  return rows.map((row) => ({ ...row, version: Number(row.version) }));
}

/**
 * Moves stat_flow_counts and stat_flow_days from the contribution of the dossiers' `before`
 * rows to that of their `after` rows. Each list holds every current row of its dossiers.
 */
export async function applyFlowCountChanges(context: CountsContext, before: readonly FlowEvent[], after: readonly FlowEvent[]): Promise<void> {
  await applyFlowCountDeltas(context, flowCountDeltas(before, after));
}

/**
 * A count as a flows read sends it after its period (rowsAsText's fields: group, measure,
 * category, events, persons), in SQL over a row of stat_flow_counts or stat_flow_days, from the
 * SQL of its events and persons. stat_flow_counts keeps it beside each row (its `line`, a stored
 * generated column, FlowStatisticsFlowCountLines1733529600250), so that a read of whole periods
 * sends it as it is: written out for each row at each read, the lines took 0.5 of the 1.8 ms of
 * PostgreSQL's CPU a read of four years by month cost in a driver loop (bench/README.md, "Computed
 * range answers: where a flows answer's time goes (twentieth session)"). A clipped period's part
 * writes it from its sums.
 */
export const flowCountLine = (events: string, persons: string): string =>
  `grp || chr(31) || measure || chr(31) || category || chr(31) || (${events})::text || chr(31) || (${persons})::text`;

/**
 * readFlowCounts' statements, prepared once per connection: a handful of texts (the whole periods
 * are one parameter; a clipped first or last period adds its part), which PostgreSQL parsed and
 * planned anew for every answer, 0.5 ms of a 0.8 ms round trip measured on a small table
 * (bench/README.md, "Computed range answers' per-answer work (thirteenth session)").
 */
const FLOW_COUNT_READS = new PreparedNames('flow-counts');

/**
 * The counts of a range's periods at a grouping level, as the live table holds them now, in one
 * statement: each whole period's rows of stat_flow_counts, and each period clipped at one end (a
 * range's first or last) from its days' rows of stat_flow_days: the persons whose first event is
 * on or before the part's end, or whose last is on or after its start. `unanswered`: the periods
 * these counts cannot give, clipped at both ends (a range inside one period), or clipped per
 * municipality (not kept per day); their events are read instead (queries/flows.ts).
 * The rows come back as one text (rowsAsText: some 1,700 rows for four years by month), each
 * count handed to `each` as it is split off (no array of them: bench/README.md, "Computed range
 * answers (tenth session)").
 */
export async function readFlowCounts(
  dataSource: DataSource,
  interval: Interval,
  level: FlowLevel,
  periods: readonly Period[],
  each: (...count: FlowCount) => void,
): Promise<{ unanswered: Period[] }> {
  const params: unknown[] = [interval, level];
  const whole: string[] = [];
  const parts: string[] = [];
  const unanswered: Period[] = [];
  for (const period of periods) {
    const [fromStart, toEnd] = [period.start === period.bucket, period.end === calendarEnd(period.bucket, interval)];
    if (fromStart && toEnd) whole.push(period.bucket);
    else if (!DAY_LEVELS.has(level) || (!fromStart && !toEnd)) unanswered.push(period);
    else {
      parts.push(
        `SELECT period, ${flowCountLine('sum(events)', `sum(${fromStart ? 'first_persons' : 'last_persons'})`)} AS line
           FROM ${READ_MODEL_SCHEMA}.${STAT_FLOW_DAYS_TABLE}
          WHERE interval = $1 AND level = $2 AND period = $${params.push(period.bucket)}::date AND day BETWEEN $${params.push(period.start)}::date AND $${params.push(period.end)}::date
          GROUP BY period, grp, measure, category
         HAVING sum(events) > 0`,
      );
    }
  }
  const reads = [
    ...(whole.length === 0
      ? []
      : [`SELECT period, line FROM ${READ_MODEL_SCHEMA}.${STAT_FLOW_COUNTS_TABLE}
           WHERE interval = $1 AND level = $2 AND period = ANY($${params.push(whole)}::date[])`]),
    ...parts,
  ];
  if (reads.length === 0) return { unanswered };
  const text = rowsAsText(['period::text', 'line'], reads.join(' UNION ALL '));
  const {
    rows: [read],
  } = await sentWithCallback<{ rows: RowsText[] }>(poolOf(dataSource), text, params, FLOW_COUNT_READS.nameOf(text));
  eachRowOfText(read, ([period, grp, measure, category, events, persons]) => each(period, grp, measure, category, Number(events), Number(persons)));
  return { unanswered };
}
