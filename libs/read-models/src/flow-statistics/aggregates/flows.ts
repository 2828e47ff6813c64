import type { DataSource } from 'typeorm';
import { poolOf, PreparedNames, sentWithCallback } from '@app/platform';
import { READ_MODEL_SCHEMA, type ProjectionContext } from '@app/projection-engine';
import { bucketOf, calendarEnd, INTERVALS, type Interval, type Period } from '../queries/periods';
import type { Attribution, StatEvent } from '../situation';
import { applyDeltas, Codes, Deltas, primaryKeyOrder, type CellChanges, type CountTable } from './delta';
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

/** A flow cell's counts (FlowContributions): its events, then per interval kind (INTERVALS' order) its persons whose first and whose last event of the period is on its day. */
const CELL_COUNTS = 1 + 2 * INTERVALS.length;
const FIRST = (interval: number) => 1 + 2 * interval;
const LAST = (interval: number) => 2 + 2 * interval;
/** A flow cell's key: level, group, measure, category, day (codes). */
const CELL_KEY = 5;
/** Its columns in the order stat_flow_days' primary key gives them, once the interval kind and the period are set before: level, day, group, measure, category. */
const CELL_DAY_ORDER = [0, 4, 1, 2, 3];
/** Codes below this pack four to a number (FlowContributions.add's map of a dossier's counts): some thousand texts are all a fold meets. */
const CODE_BOUND = 2 ** 17;

/**
 * Dossiers' contributions to stat_flow_counts and stat_flow_days (add), summed per cell of one
 * level, group, measure, category and day for all interval kinds at once (`cells`): the events on
 * the day, and per interval kind the dossiers whose first, and whose last, event of that count in
 * the day's period is on it. Both tables are read from these cells (counts()): a day row per
 * interval kind, a period's row the sum of its days (its persons, those whose first event of the
 * period is on one of them: each once). An event adds to one cell per level and category (three
 * to six), where it added to every interval kind's period and day cells (fifteen to thirty, each
 * a likely cache miss in tables of megabytes: bench/README.md, "The flow statistics' rebuild:
 * one cell a day for all interval kinds"). The codes of the intervals, levels and groups, and
 * each day's periods, are found once here for every dossier added.
 */
export class FlowContributions {
  readonly codes: Codes;
  private readonly cells: Deltas;
  private readonly levels: number[];
  private readonly nothing: number;
  /** The periods of each day (by its code), one per interval: some thousand days for millions of events. */
  private readonly periodsOf: number[][] = [];
  private readonly groups = FLOW_LEVELS.map(() => 0);
  private readonly cell = [0, 0, 0, 0, 0];
  /** The dossier's counts seen so far (add): their key's codes, the last day so far last, by the four packed. */
  private readonly seen = new Map<number, number>();
  private seenKeys = new Int32Array(CELL_KEY * 64);
  /** The periods' counts summed from the cells (counts()), kept to be emptied and filled again. */
  private periods: Deltas | undefined;

  constructor(codes = new Codes()) {
    this.codes = codes;
    this.cells = new Deltas(CELL_KEY, CELL_COUNTS, codes);
    this.levels = FLOW_LEVELS.map((level) => codes.of(level));
    this.nothing = codes.of('');
  }

  /** Cells held. */
  get size(): number {
    return this.cells.size;
  }

  /**
   * Adds `sign` times one dossier's contribution of its current events (in any order) and their
   * readings: every event to its day's cell of each level (and category), and, per interval kind,
   * the dossier once as a person of each count in each period: on the days of its first and of its
   * last such event there.
   */
  add(own: readonly FlowEvent[], sign: 1 | -1): void {
    const { codes, cells, levels, nothing, groups, cell, seen } = this;
    seen.clear();
    // In business order: a count's days come in order, the first seen of a period is its first.
    for (const event of [...own, ...readingsOf(own)].sort(inBusinessOrder)) {
      const day = codes.of(event.occurredOn);
      const periods = this.periodsOfDay(day, event.occurredOn);
      for (let j = 0; j < FLOW_LEVELS.length; j++) groups[j] = codes.of(groupAt(FLOW_LEVELS[j], event));
      const measure = codes.of(event.type);
      const category = event.category === null ? -1 : codes.of(event.category);
      if (codes.size > CODE_BOUND) throw new Error(`the flows' cells pack codes below ${CODE_BOUND}; ${codes.size} texts met`);
      cell[2] = measure;
      cell[4] = day;
      for (let j = 0; j < levels.length; j++) {
        cell[0] = levels[j];
        cell[1] = groups[j];
        for (let c = 0; c < (category < 0 ? 1 : 2); c++) {
          cell[3] = c === 0 ? nothing : category;
          const slot = cells.slotOf(cell);
          cells.addAt(slot, 0, sign);
          const id = ((cell[3] * CODE_BOUND + measure) * CODE_BOUND + cell[1]) * FLOW_LEVELS.length + j;
          const at = seen.get(id);
          if (at === undefined) {
            for (let i = 0; i < INTERVALS.length; i++) cells.addAt(slot, FIRST(i), sign);
            seen.set(id, this.remember(cell));
            continue;
          }
          const before = this.seenKeys[at + 4];
          if (before === day) continue;
          // A period that ends before this day: the count's last day in it was the one before.
          const periodsBefore = this.periodsOf[before];
          let ended = 0;
          for (let i = 0; i < INTERVALS.length; i++) {
            if (periodsBefore[i] === periods[i]) continue;
            cells.addAt(slot, FIRST(i), sign);
            ended |= 1 << i;
          }
          // Found, not made: the slot above stays where it is.
          if (ended !== 0) this.addLast(this.seenKeys.subarray(at, at + CELL_KEY), ended, sign);
          this.seenKeys[at + 4] = day;
        }
      }
    }
    const all = (1 << INTERVALS.length) - 1;
    for (const at of seen.values()) this.addLast(this.seenKeys.subarray(at, at + CELL_KEY), all, sign);
  }

  /** Adds `sign` to the persons whose last event is on the day of `key`'s cell, in the interval kinds of `ended` (bits). */
  private addLast(key: Int32Array, ended: number, sign: 1 | -1): void {
    const slot = this.cells.slotOf(key);
    for (let i = 0; i < INTERVALS.length; i++) if (ended & (1 << i)) this.cells.addAt(slot, LAST(i), sign);
  }

  /** Keeps a count's key as the dossier's (add's `seen`): where it is kept. */
  private remember(cell: readonly number[]): number {
    const at = this.seen.size * CELL_KEY;
    if (at + CELL_KEY > this.seenKeys.length) {
      const grown = new Int32Array(this.seenKeys.length * 2);
      grown.set(this.seenKeys);
      this.seenKeys = grown;
    }
    for (let k = 0; k < CELL_KEY; k++) this.seenKeys[at + k] = cell[k];
    return at;
  }

  private periodsOfDay(day: number, text: string): number[] {
    return (this.periodsOf[day] ??= INTERVALS.map((interval) => this.codes.of(bucketOf(text, interval))));
  }

  /**
   * The changes of both tables the contributions added make: stat_flow_counts' rows summed from
   * the cells (each cell's events, and its persons whose first event of the period is on its day,
   * added to its period's row of each interval kind), stat_flow_days' read from them as they are
   * (FlowDayChanges). Valid until the next add or clear.
   */
  counts(): FlowCountDeltas {
    const { cells, periodsOf } = this;
    const periods = (this.periods ??= new Deltas(FLOW_COUNTS.keys.length, FLOW_COUNTS.counts!.length, this.codes));
    periods.clear();
    const intervals = INTERVALS.map((interval) => this.codes.of(interval));
    // In the order of their days: the periods' cells summed into stay few at a time.
    const slots = cells.slotsInKeyOrder(CELL_DAY_ORDER);
    const key = [0, 0, 0, 0, 0, 0];
    for (const slot of slots) {
      const events = cells.count(slot, 0);
      const ofDay = periodsOf[cells.keyCode(slot, 4)];
      key[1] = cells.keyCode(slot, 0);
      key[3] = cells.keyCode(slot, 1);
      key[4] = cells.keyCode(slot, 2);
      key[5] = cells.keyCode(slot, 3);
      for (let i = 0; i < intervals.length; i++) {
        const persons = cells.count(slot, FIRST(i));
        if (events === 0 && persons === 0) continue;
        key[0] = intervals[i];
        key[2] = ofDay[i];
        const at = periods.slotOf(key);
        periods.addAt(at, 0, events);
        periods.addAt(at, 1, persons);
      }
    }
    return { periods, days: new FlowDayChanges(cells, slots, intervals, periodsOf) };
  }

  /** Holds nothing (its arrays kept, for contributions added over and over). */
  clear(): void {
    this.cells.clear();
    this.periods?.clear();
  }
}

/**
 * stat_flow_days' changes, read from the flows' cells (FlowContributions) as they are: each cell
 * of level none or province is a row per interval kind, the day's period's (its events, and that
 * kind's first and last persons), a row whose counts are all 0 left out. In the order of the
 * table's primary key with one sort of the cells (by level, day, group, measure, category): each
 * interval kind in turn, the periods in the order of their days. No table of the rows is made.
 */
const KEYS = FLOW_DAYS.keys.length;
const RECORD = KEYS + FLOW_DAYS.counts!.length;

class FlowDayChanges implements CellChanges {
  private readonly daily: Set<number>;

  constructor(
    private readonly cells: Deltas,
    /** The cells' slots in the order of their level, day, group, measure and category (CELL_DAY_ORDER). */
    private readonly slots: Int32Array,
    /** The interval kinds' codes, in INTERVALS' order. */
    private readonly intervals: readonly number[],
    private readonly periodsOf: readonly number[][],
  ) {
    this.daily = new Set(FLOW_LEVELS.filter((level) => DAY_LEVELS.has(level)).map((level) => cells.codes.of(level)));
  }

  get codes(): Codes {
    return this.cells.codes;
  }

  changes(): Iterable<{ key: readonly string[]; n: readonly number[] }> {
    return this.changesInKeyOrder(primaryKeyOrder(FLOW_DAYS));
  }

  *changesInKeyOrder(order: readonly number[]): Iterable<{ key: readonly string[]; n: readonly number[] }> {
    const { codes } = this;
    const record = new Int32Array(RECORD);
    for (const i of this.kindsInKeyOrder(order)) {
      for (const slot of this.slots) {
        if (!this.write(slot, i, record, 0, null)) continue;
        yield { key: Array.from(record.subarray(0, KEYS), (code) => codes.text(code)), n: Array.from(record.subarray(KEYS)) };
      }
    }
  }

  recordsInKeyOrder(order: readonly number[], codeOf: Int32Array, into: Int32Array, full: (cells: number) => void): void {
    const fits = Math.floor(into.length / RECORD);
    let records = 0;
    for (const i of this.kindsInKeyOrder(order)) {
      for (const slot of this.slots) {
        if (!this.write(slot, i, into, records * RECORD, codeOf)) continue;
        if (++records === fits) {
          full(records);
          records = 0;
        }
      }
    }
    if (records > 0) full(records);
  }

  /** The interval kinds' indexes (INTERVALS') in the order of their texts: the rows of each kind come together, in this order. */
  private kindsInKeyOrder(order: readonly number[]): number[] {
    if (order.join() !== primaryKeyOrder(FLOW_DAYS).join()) throw new Error("stat_flow_days' changes come in the order of its primary key only");
    const { rank } = this.codes.textOrder();
    return this.intervals.map((_, i) => i).sort((a, b) => rank[this.intervals[a]] - rank[this.intervals[b]]);
  }

  /**
   * The day row of the cell in `slot` for interval kind `i`, if it has a change, as a record at
   * `at` of `into`: stat_flow_days' key columns (interval, level, period, grp, measure, category,
   * day) as `codeOf` maps them, then its counts. False (nothing written) for a cell of a level
   * not kept per day, or a row whose counts are all 0.
   */
  private write(slot: number, i: number, into: Int32Array, at: number, codeOf: ArrayLike<number> | null): boolean {
    const { cells } = this;
    const level = cells.keyCode(slot, 0);
    if (!this.daily.has(level)) return false;
    const events = cells.count(slot, 0);
    const first = cells.count(slot, FIRST(i));
    const last = cells.count(slot, LAST(i));
    if (events === 0 && first === 0 && last === 0) return false;
    const day = cells.keyCode(slot, 4);
    const map = (code: number) => (codeOf === null ? code : codeOf[code]);
    into[at] = map(this.intervals[i]);
    into[at + 1] = map(level);
    into[at + 2] = map(this.periodsOf[day][i]);
    into[at + 3] = map(cells.keyCode(slot, 1));
    into[at + 4] = map(cells.keyCode(slot, 2));
    into[at + 5] = map(cells.keyCode(slot, 3));
    into[at + 6] = map(day);
    into[at + KEYS] = events;
    into[at + KEYS + 1] = first;
    into[at + KEYS + 2] = last;
    return true;
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
  days: CellChanges;
}

/**
 * The changes of stat_flow_counts and stat_flow_days when dossiers' current events go from
 * `before` to `after` (each list every current row of its dossiers).
 */
export function flowCountDeltas(before: readonly FlowEvent[], after: readonly FlowEvent[]): FlowCountDeltas {
  const contributions = new FlowContributions();
  for (const own of byDossier(before)) contributions.add(own, -1);
  for (const own of byDossier(after)) contributions.add(own, 1);
  return contributions.counts();
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
        `SELECT period, grp, measure, category, sum(events)::int AS events, sum(${fromStart ? 'first_persons' : 'last_persons'})::int AS persons
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
      : [`SELECT period, grp, measure, category, events, persons FROM ${READ_MODEL_SCHEMA}.${STAT_FLOW_COUNTS_TABLE}
           WHERE interval = $1 AND level = $2 AND period = ANY($${params.push(whole)}::date[])`]),
    ...parts,
  ];
  if (reads.length === 0) return { unanswered };
  const text = rowsAsText(['period::text', 'grp', 'measure', 'category', 'events::text', 'persons::text'], reads.join(' UNION ALL '));
  const {
    rows: [read],
  } = await sentWithCallback<{ rows: RowsText[] }>(poolOf(dataSource), text, params, FLOW_COUNT_READS.nameOf(text));
  eachRowOfText(read, ([period, grp, measure, category, events, persons]) => each(period, grp, measure, category, Number(events), Number(persons)));
  return { unanswered };
}
