import { tmpdir } from 'node:os';
import { defaultMunicipalityDirectory, DOSSIER_STREAM_PREFIX, isAdministrative, occurredOn, type DossierEvent, type MunicipalityDirectory } from '@app/domain';
import type { RecordedEvent } from '@app/event-store';
import { isStorableDate } from '@app/platform';
import { readDossierEvent } from '../read-dossier-event';
import {
  readEach,
  storableValue,
  type FoldsWhileFlushing,
  type Projection,
  type ProjectionContext,
  type RebuildContext,
  type RebuildWriter,
  type SafeFormField,
  type SafeFormNotes,
  type PersonalDataReader,
} from '@app/projection-engine';
import { applyDeltas, copyDeltas, DATE_COUNTS, DateCountContributions, STAT_DATE_COUNTS_TABLE, type CountTable, type CurrentPeriod, type Deltas } from './aggregates';
import { SpilledCounts, writeSpilled } from './aggregates/spill';
import { FLOW_COUNTS, FLOW_DAYS, FlowContributions, flowEventOf, STAT_FLOW_COUNTS_TABLE, STAT_FLOW_DAYS_TABLE, type FlowEvent } from './aggregates/flows';
import { erasedIn, forgetAgeBands, PERSON_COLUMNS, personRowsOf, STAT_PERSONS_TABLE } from './person-attributes';
import { recordedHistory, type RecordedStatEvent } from './recorded-history';
import type { StatEvent } from './situation';

export const FLOW_STATISTICS = 'flow-statistics';
export const STAT_EVENTS_TABLE = 'stat_events';
export const STAT_PERIODS_TABLE = 'stat_dossier_periods';

/** Rows per multi-row statement, well below PostgreSQL's 65,535 parameters. */
const CHUNK = 1000;

/** The non-personal part of an event: the personal block of a registration is never read. */
export function statEventOf(dossierId: string, version: number, event: DossierEvent): StatEvent | undefined {
  if (isAdministrative(event)) return undefined;
  const kept: StatEvent = {
    dossierId,
    version,
    type: event.type as StatEvent['type'],
    occurredOn: occurredOn(event),
    eventMunicipality: null,
    housingType: null,
    reason: null,
    trajectory: null,
    residenceStatus: null,
    previousResidenceStatus: null,
  };
  switch (event.type) {
    case 'DossierRegistered':
    case 'DossierReopened':
      kept.eventMunicipality = event.data.municipality;
      break;
    case 'PersonHoused':
      kept.eventMunicipality = event.data.municipality;
      kept.housingType = event.data.housingType;
      break;
    case 'PersonRehoused':
      kept.eventMunicipality = event.data.municipality;
      kept.housingType = event.data.housingType;
      kept.reason = event.data.reason;
      break;
    case 'InburgeringEnrolled':
      kept.trajectory = event.data.trajectory;
      break;
    case 'PersonLeft':
      kept.reason = event.data.reason;
      break;
    case 'ResidenceStatusChanged':
      kept.residenceStatus = event.data.status;
      kept.previousResidenceStatus = event.data.previousStatus;
      break;
  }
  return kept;
}

/** The text fields of a kept event, with their columns in stat_events. */
const TEXT_COLUMNS = {
  eventMunicipality: 'event_municipality',
  housingType: 'housing_type',
  reason: 'reason',
  trajectory: 'trajectory',
  residenceStatus: 'residence_status',
  previousResidenceStatus: 'previous_residence_status',
} as const;
const TEXT_FIELDS = Object.entries(TEXT_COLUMNS) as Array<[keyof typeof TEXT_COLUMNS, string]>;

/**
 * The event as the statistics can keep it: its text in a safe form where PostgreSQL cannot store
 * it (noted); undefined, and noted as left out, when its business date is not a date PostgreSQL
 * can store, since it cannot be placed on the statistics' date axis.
 */
function countable(recorded: RecordedEvent, event: StatEvent, notes: SafeFormNotes): StatEvent | undefined {
  if (!isStorableDate(event.occurredOn)) {
    notes.leftOut(recorded, `${STAT_EVENTS_TABLE}.occurred_on: not a date PostgreSQL can store, so the event is not counted`);
    return undefined;
  }
  // A fresh object (statEventOf's): its text is replaced in place where it must be.
  const fields: SafeFormField[] = [];
  for (const [field, column] of TEXT_FIELDS) {
    const safe = storableValue('text', event[field], recorded);
    if (!safe.storedAs) continue;
    event[field] = safe.value as string;
    fields.push({ field: `${STAT_EVENTS_TABLE}.${column}`, storedAs: safe.storedAs });
  }
  if (fields.length > 0) notes.storedInSafeForm(recorded, fields);
  return event;
}

async function insertRows(context: ProjectionContext, table: string, columns: string[], rows: unknown[][], suffix = ''): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    const values: unknown[] = [];
    const tuples = chunk.map((row) => `(${row.map((value) => `$${values.push(value)}`).join(', ')})`);
    await context.query(`INSERT INTO ${context.schema}.${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ${suffix}`, values);
  }
}

const EVENT_COLUMNS = [
  'dossier_id', 'version', 'type', 'occurred_on', 'event_municipality', 'housing_type', 'reason', 'trajectory', 'residence_status', 'previous_residence_status',
  'municipality', 'province_nis', 'housing_municipality', 'housing_province_nis', 'recorded_at', 'recorded_from', 'recorded_to',
];
const PERIOD_COLUMNS = [
  'dossier_id', 'valid_from', 'valid_to', 'active', 'stage', 'housing_type', 'municipality', 'province_nis', 'employed_now', 'ever_employed', 'vdab', 'inburgering',
  'residence_status', 'housing_municipality', 'housing_province_nis', 'recorded_from', 'recorded_to',
];
/** Each table's primary key: a row of one recording moment. */
const KEYS = {
  [STAT_EVENTS_TABLE]: [['dossier_id', 'uuid'], ['version', 'integer'], ['recorded_from', 'timestamptz']],
  [STAT_PERIODS_TABLE]: [['dossier_id', 'uuid'], ['valid_from', 'date'], ['recorded_from', 'timestamptz']],
} as const;

/** A moment as the projection writes it: UTC ISO with milliseconds, as RecordedEvent.createdAt has them. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** How a column is read back to compare with the rows the projection computes (text for uuids, dates and moments). */
const READ_AS: Record<string, string> = {
  dossier_id: 'dossier_id::text',
  occurred_on: 'occurred_on::text',
  valid_from: 'valid_from::text',
  valid_to: 'valid_to::text',
  recorded_at: iso('recorded_at'),
  recorded_from: iso('recorded_from'),
  recorded_to: iso('recorded_to'),
};
const readBack = (columns: readonly string[]) => columns.map((column) => `${READ_AS[column] ?? column} AS ${column}`).join(', ');

/** The batch's events the statistics keep, each as it can be stored (countable), with its recording moment, in log order. */
function incomingOf(events: readonly RecordedEvent[], notes: SafeFormNotes): RecordedStatEvent[] {
  return readEach(events, notes, (recorded) => {
    const { dossierId, event } = readDossierEvent(recorded);
    const kept = statEventOf(dossierId, recorded.version, event);
    const countableEvent = kept && (countable(recorded, kept, notes) as RecordedStatEvent | undefined);
    if (countableEvent) countableEvent.recordedAt = recorded.createdAt.toISOString();
    return countableEvent;
  });
}

/**
 * Adds the incoming events to their dossiers' kept events (by dossier); one already kept (a batch
 * delivered again), or twice in the batch, is kept once. Returns how many were new.
 */
function keep(byDossier: Map<string, RecordedStatEvent[]>, incoming: readonly RecordedStatEvent[]): number {
  let fresh = 0;
  for (const event of incoming) {
    const kept = byDossier.get(event.dossierId) ?? [];
    if (kept.some((other) => other.version === event.version)) continue;
    kept.push(event);
    byDossier.set(event.dossierId, kept);
    fresh++;
  }
  return fresh;
}

/**
 * Every row of the dossiers' histories on both axes (recorded-history.ts), as the tables hold
 * them, and each dossier's rows valid now as the counts read them (the fold's timeline now, where
 * they were read back from the rows by column).
 */
function historiesOf(dossiers: Iterable<RecordedStatEvent[]>, directory: MunicipalityDirectory): DossierTables & { now: CurrentRows[] } {
  const eventRows: unknown[][] = [];
  const periodRows: unknown[][] = [];
  const now: CurrentRows[] = [];
  for (const kept of dossiers) {
    const history = recordedHistory(kept, directory);
    for (const { event: e, where: w, recordedFrom, recordedTo } of history.events) {
      eventRows.push([
        e.dossierId, e.version, e.type, e.occurredOn, e.eventMunicipality, e.housingType, e.reason, e.trajectory, e.residenceStatus, e.previousResidenceStatus,
        w.municipality, w.provinceNis, w.housingMunicipality, w.housingProvinceNis, e.recordedAt, recordedFrom, recordedTo,
      ]);
    }
    for (const { period: p, validTo, recordedFrom, recordedTo } of history.periods) {
      periodRows.push([
        p.dossierId, p.validFrom, validTo, p.active, p.stage, p.housingType, p.municipality, p.provinceNis,
        p.employedNow, p.everEmployed, p.vdab, p.inburgering, p.residenceStatus, p.housingMunicipality, p.housingProvinceNis, recordedFrom, recordedTo,
      ]);
    }
    const { periods, events, attributions } = history.now;
    now.push({ periods, events: events.map((event, i) => flowEventOf(event, attributions[i])) });
  }
  return { events: eventRows, periods: periodRows, now };
}

/** A dossier's rows valid now (recorded_to null), as both counts read them (aggregates/date-counts.ts, aggregates/flows.ts). */
interface CurrentRows {
  periods: readonly CurrentPeriod[];
  events: readonly FlowEvent[];
}

const textOrNull = (value: unknown) => (value ?? null) as string | null;

/** The rows of the dossiers in a table as read back (READ_AS): a record per row, by column. */
async function storedRecords(context: ProjectionContext, table: string, columns: readonly string[], dossierIds: string[]): Promise<Array<Record<string, unknown>>> {
  return context.query(`SELECT ${readBack(columns)} FROM ${context.schema}.${table} WHERE dossier_id = ANY($1::uuid[])`, [dossierIds]);
}

/** Records read back as historiesOf writes rows: values in `columns`' order. */
const rowsOf = (records: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): unknown[][] =>
  records.map((record) => columns.map((column) => record[column]));

/** Rows of both tables of some dossiers, columns in EVENT_COLUMNS' and PERIOD_COLUMNS' order. */
interface DossierTables {
  events: unknown[][];
  periods: unknown[][];
}

/**
 * A kept event read back: a staged event (the fold's cursor) or a row of stat_events (its
 * columns are the staged table's and more), text as stored, dates and moments as text. One
 * reader of both: the one-pass fold reads millions of them, by name, as PostgreSQL's rows come.
 */
const keptEventOf = (row: Record<string, unknown>): RecordedStatEvent => ({
  dossierId: row.dossier_id as string,
  version: row.version as number,
  type: row.type as StatEvent['type'],
  occurredOn: row.occurred_on as string,
  eventMunicipality: textOrNull(row.event_municipality),
  housingType: textOrNull(row.housing_type),
  reason: textOrNull(row.reason),
  trajectory: textOrNull(row.trajectory),
  residenceStatus: textOrNull(row.residence_status),
  previousResidenceStatus: textOrNull(row.previous_residence_status),
  recordedAt: row.recorded_at as string,
});

/** A row of stat_dossier_periods read back (READ_AS), as the counts read a current one. */
const currentPeriodOf = (row: Record<string, unknown>): CurrentPeriod => ({
  validFrom: row.valid_from as string,
  validTo: row.valid_to as string | null,
  active: row.active as boolean,
  stage: row.stage as string,
  housingType: textOrNull(row.housing_type),
  provinceNis: textOrNull(row.province_nis),
  employedNow: row.employed_now as boolean,
  everEmployed: row.ever_employed as boolean,
  vdab: row.vdab as boolean,
  residenceStatus: row.residence_status as string,
});

/**
 * The dossiers' rows as stored, read once: their kept events, each once with its recording
 * moment (from the rows of stat_events valid now), the rows to replace, and each dossier's rows
 * valid now, whose contributions to the counts are taken away.
 */
async function storedOf(context: ProjectionContext, dossierIds: string[]): Promise<{ kept: Map<string, RecordedStatEvent[]>; tables: DossierTables; now: CurrentRows[] }> {
  const events = await storedRecords(context, STAT_EVENTS_TABLE, EVENT_COLUMNS, dossierIds);
  const periods = await storedRecords(context, STAT_PERIODS_TABLE, PERIOD_COLUMNS, dossierIds);
  const kept = new Map<string, RecordedStatEvent[]>();
  const current = new Map<string, { periods: CurrentPeriod[]; events: FlowEvent[] }>();
  const currentOf = (dossierId: string) => current.get(dossierId) ?? current.set(dossierId, { periods: [], events: [] }).get(dossierId)!;
  const keptNow: RecordedStatEvent[] = [];
  for (const record of events) {
    if (record.recorded_to !== null) continue;
    const event = keptEventOf(record);
    keptNow.push(event);
    currentOf(event.dossierId).events.push(flowEventOf(event, { municipality: textOrNull(record.municipality), provinceNis: textOrNull(record.province_nis) }));
  }
  keep(kept, keptNow);
  for (const record of periods) if (record.recorded_to === null) currentOf(record.dossier_id as string).periods.push(currentPeriodOf(record));
  return { kept, tables: { events: rowsOf(events, EVENT_COLUMNS), periods: rowsOf(periods, PERIOD_COLUMNS) }, now: [...current.values()] };
}

/**
 * Changes of the aggregates (stat_date_counts, stat_flow_counts, stat_flow_days), summed per
 * cell over the dossiers whose rows move (add) until written: each dossier's contribution of its
 * rows before taken away (as stored: none for a dossier new to the tables), that of its rows
 * after added; of both, only the rows valid now count.
 */
class CountChanges {
  /** `spillDirectory`: where spill() writes its scratch files (PROJECTION_SPILL_DIR). */
  constructor(private readonly spillDirectory: string) {}

  private date = new DateCountContributions();
  private flows = new FlowContributions();

  /** Each dossier's contribution of its rows valid now before (as stored: a dossier new to the tables has none) taken away, that of its rows after added. */
  add(before: readonly CurrentRows[], after: readonly CurrentRows[]): void {
    for (const rows of before) {
      this.date.add(rows, -1);
      this.flows.add(rows.events, -1);
    }
    for (const rows of after) {
      this.date.add(rows, 1);
      this.flows.add(rows.events, 1);
    }
  }

  /** Cells held. */
  get size(): number {
    return this.date.deltas.size + this.flows.deltas.periods.size + this.flows.deltas.days.size;
  }

  /** The changes held, per table. */
  private held(): Array<[CountTable, Deltas]> {
    return [
      [DATE_COUNTS, this.date.deltas],
      [FLOW_COUNTS, this.flows.deltas.periods],
      [FLOW_DAYS, this.flows.deltas.days],
    ];
  }

  /** The changes held, per table, and none held after. */
  private take(): Array<[CountTable, Deltas]> {
    const taken = this.held();
    this.date = new DateCountContributions();
    this.flows = new FlowContributions();
    return taken;
  }

  /** Adds the changes held to the tables of `context.schema`. */
  async write(context: ProjectionContext): Promise<void> {
    for (const [table, deltas] of this.take()) await applyDeltas(context, table, deltas);
  }

  /** Writes the changes held into the tables of `context.schema`, empty, with COPY. */
  async copy(context: RebuildContext): Promise<void> {
    for (const [table, deltas] of this.take()) await copyDeltas(context, table, deltas);
  }

  /** The changes spilled (spill), one per table of held(), until they are written or dropped. */
  private spills: SpilledCounts[] | undefined;

  /** Whether changes were spilled. */
  get spilled(): boolean {
    return this.spills !== undefined;
  }

  /** Spills the changes held (SpilledCounts: sorted runs in scratch files of the service), to be summed into the empty tables by writeSpilled. */
  spill(): void {
    const held = this.held();
    this.spills ??= held.map(([table]) => new SpilledCounts(table, this.spillDirectory));
    held.forEach(([, deltas], i) => {
      this.spills![i].add(deltas);
      // Emptied, not replaced: arrays grown to hold the bound need not grow again (their growth was 3% of a rebuild's CPU).
      deltas.clear();
    });
  }

  /**
   * Writes the spilled changes, summed, into the empty tables (aggregates/spill.ts's
   * writeSpilled); a rebuild's copy, which nobody reads before its switch, gets their keys after.
   * A stop asked for is heeded while each table's sums go in (writeSpilled).
   */
  async writeSpilled(context: RebuildContext): Promise<void> {
    for (const spilled of this.spills ?? []) await writeSpilled(context, spilled);
  }

  /** Drops what was spilled (its scratch files). */
  dropSpilled(): void {
    for (const spilled of this.spills ?? []) spilled.close();
    this.spills = undefined;
  }
}

/**
 * The events a one-pass fold kept and has not folded yet, in stat_events' columns (the kept
 * event's text as it can be stored; recorded_at as RecordedEvent.createdAt's ISO text). A fold
 * that ends without its last flush leaves them: the next start finishes the catch-up in one pass
 * (onePassToFinish), or else the next batch of the live path folds them first (foldStaged).
 */
export const STAT_EVENTS_STAGED_TABLE = 'stat_events_staged';
const STAGED_COLUMNS = [
  'dossier_id', 'version', 'type', 'occurred_on', 'event_municipality', 'housing_type', 'reason', 'trajectory', 'residence_status', 'previous_residence_status', 'recorded_at',
];
const stagedRowOf = (e: RecordedStatEvent): unknown[] => [
  e.dossierId, e.version, e.type, e.occurredOn, e.eventMunicipality, e.housingType, e.reason, e.trajectory, e.residenceStatus, e.previousResidenceStatus, e.recordedAt,
];

/** What a fold of staged events holds in memory. */
export interface StagedFoldLimits {
  /** Cells of the counts' changes it holds before it spills them (or, on the live path, writes them). */
  readonly heldCells: number;
  /** Staged events it reads per step. */
  readonly stagedPerStep: number;
  /**
   * Erased dossiers a rebuild's fold holds before it forgets their persons' age bands in the rows
   * written so far (FlowStatisticsRebuild: each time one scan of stat_person_attributes, which has
   * no key until the rebuild ends); the rest at its last flush.
   */
  readonly erasuresHeld: number;
}

const STAGED_FOLD_LIMITS: StagedFoldLimits = {
  // Some 10 to 20 MiB outside V8's heap (a cell takes 32 to 40 bytes of typed arrays, at most
  // three quarters of their slots used, aggregates/delta.ts).
  heldCells: 200_000,
  // A few thousand dossiers' histories at a time (about 10 MiB at their peak): two steps are held
  // in a one-pass fold's last flush (one going in while the next is folded), so half the 10,000
  // a step was before they overlapped keeps its peak where it was.
  stagedPerStep: 5_000,
  // Some 1 to 2 MiB of dossier ids; a log erasing more people than that rebuilds with a scan of the
  // persons' rows per so many erasures.
  erasuresHeld: 10_000,
};

/**
 * Folds the staged events (STAT_EVENTS_STAGED_TABLE) into rows and counts, and stages none after:
 * read once in dossier order (one sort by PostgreSQL, through a cursor), a step's dossiers' histories
 * computed once each (historiesOf) and written, their contributions to the counts added. The
 * tables hold nothing of these dossiers (a one-pass fold starts on empty tables and writes its
 * rows only here). With `copy` (a one-pass fold's last flush: the tables are empty) the rows go
 * in with COPY and the counts too (spilled into the service's scratch files once they are too many
 * to hold, and summed from them: aggregates/spill.ts), and a stop
 * asked for (copy.carryOn) ends it between steps; without (the live path, after a fold that ended
 * early and that no one-pass writer finished) as a batch writes them. Otherwise one read of an
 * empty table.
 */
async function foldStaged(context: ProjectionContext, directory: MunicipalityDirectory, limits: StagedFoldLimits, spillDirectory: string, copy?: RebuildContext): Promise<void> {
  const staged = `${context.schema}.${STAT_EVENTS_STAGED_TABLE}`;
  const [{ any }] = await context.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${staged}) AS any`);
  if (!any) return;
  const counts = new CountChanges(spillDirectory);
  try {
    await foldStagedInto(counts, staged, context, directory, limits, copy);
  } finally {
    counts.dropSpilled();
  }
}

/**
 * Dossiers a one-pass fold's last flush folds between two turns of the event loop (some
 * milliseconds): the COPY of the step before, which PostgreSQL takes in meanwhile, is fed at each
 * turn (a fold of a whole step in one go left PostgreSQL without rows for most of it). At 500 a
 * turn (some tens of milliseconds) PostgreSQL still ran dry between turns: the fold then waited
 * 5.2 s of a 23 s last flush for the step before to go in, 0.9 s at 100 (bench/README.md, "The
 * catch-up from empty: the flow statistics' flushes").
 */
const DOSSIERS_PER_TURN = 100;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * foldStaged's steps, its counts held (or spilled) in `counts`. In a one-pass fold's last flush
 * (`copy`) the service and PostgreSQL work at once: a step's staged events are read while the step
 * before is folded, and its rows go in (COPY) while the next is folded, one step's rows in flight at
 * most; a stop asked for ends it between steps, once the rows in flight are in (rolled back with
 * the rest).
 */
async function foldStagedInto(
  counts: CountChanges,
  staged: string,
  context: ProjectionContext,
  directory: MunicipalityDirectory,
  limits: StagedFoldLimits,
  copy?: RebuildContext,
): Promise<void> {
  /**
   * The fold's statements on the flush's connection, each sent once the one before has ended
   * (pg's own queue for a client already busy is deprecated): in a one-pass fold's last flush the
   * next step's read is sent before this step's rows are written, and the rows of the step
   * before are still going in.
   */
  let connection: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(statement: () => Promise<T>): Promise<T> => {
    const done = connection.then(statement);
    connection = done.catch(() => undefined);
    return done;
  };
  /** The COPY of the last step's rows, until it ends. */
  let writing: Promise<unknown> = Promise.resolve();
  const write = async (byDossier: Map<string, RecordedStatEvent[]>) => {
    if (!copy) {
      const rows = historiesOf(byDossier.values(), directory);
      counts.add([], rows.now);
      await insertRows(context, STAT_EVENTS_TABLE, EVENT_COLUMNS, rows.events);
      await insertRows(context, STAT_PERIODS_TABLE, PERIOD_COLUMNS, rows.periods);
      if (counts.size > limits.heldCells) await counts.write(context);
      return;
    }
    const dossiers = [...byDossier.values()];
    const events: unknown[][] = [];
    const periods: unknown[][] = [];
    for (let start = 0; start < dossiers.length; start += DOSSIERS_PER_TURN) {
      if (start > 0) await turn();
      const rows = historiesOf(dossiers.slice(start, start + DOSSIERS_PER_TURN), directory);
      counts.add([], rows.now);
      for (const row of rows.events) events.push(row);
      for (const row of rows.periods) periods.push(row);
    }
    await writing;
    writing = Promise.all([
      inTurn(() => copy.copy(STAT_EVENTS_TABLE, context.schema, EVENT_COLUMNS, events)),
      inTurn(() => copy.copy(STAT_PERIODS_TABLE, context.schema, PERIOD_COLUMNS, periods)),
    ]);
    // Awaited at the next step or the end; a failure meanwhile is that await's.
    writing.catch(() => undefined);
    if (counts.size > limits.heldCells) counts.spill();
  };
  if (copy) {
    // The dossiers come in the order of their first business day (below), so both tables' rows come
    // out of the order of their keys (dossier_id first): in a rebuild's copy the keys are built
    // after, from all the rows at once (their upkeep row by row out of order cost PostgreSQL more).
    await copy.keyAfterRows(STAT_EVENTS_TABLE);
    await copy.keyAfterRows(STAT_PERIODS_TABLE);
  }
  // Each dossier's events together, the dossiers in the order of their first business day: a step's
  // dossiers then add to the cells of a stretch of the calendar (their registration cohorts, the
  // days after their registrations) more than to cells all over it, so the cells held fill
  // more slowly and fewer are spilled (in dossier_id order, a random order, each spill held
  // cells of every day and cohort again).
  await context.query(
    `DECLARE stat_staged NO SCROLL CURSOR FOR
       SELECT ${STAGED_COLUMNS.map((column) => (column === 'dossier_id' || column === 'occurred_on' ? `${column}::text AS ${column}` : column)).join(', ')}
         FROM ${staged} ORDER BY min(occurred_on) OVER (PARTITION BY dossier_id), dossier_id`,
  );
  const fetch = () => {
    const rows = inTurn(() => context.query<Record<string, unknown>>(`FETCH ${limits.stagedPerStep} FROM stat_staged`));
    // Awaited in turn; a step read ahead of a fold that stops is nobody's failure.
    rows.catch(() => undefined);
    return rows;
  };
  // The events of the dossier a step ends with, which the next step may continue.
  let open: RecordedStatEvent[] = [];
  try {
    let next = fetch();
    for (;;) {
      // A one-pass fold's last flush can take minutes (at a million dossiers): a stop asked for
      // ends it between steps, and it rolls back, the events still staged for the next start.
      copy?.carryOn();
      const rows = await next;
      const last = rows.length === limits.stagedPerStep ? (rows[rows.length - 1].dossier_id as string) : undefined;
      // In a one-pass fold's last flush the next step is read while this one is folded.
      if (copy && last !== undefined) next = fetch();
      const byDossier = new Map<string, RecordedStatEvent[]>();
      if (open.length > 0) byDossier.set(open[0].dossierId, open);
      keep(byDossier, rows.map(keptEventOf));
      if (last === undefined) {
        await write(byDossier);
        break;
      }
      open = byDossier.get(last)!;
      byDossier.delete(last);
      await write(byDossier);
      if (!copy) next = fetch();
    }
    await writing;
  } catch (error) {
    // The statements sent (the rows in flight, a step read ahead) end before the transaction rolls back.
    await connection;
    throw error;
  }
  await context.query('CLOSE stat_staged');
  await context.query(`TRUNCATE ${staged}`);
  if (!copy) await counts.write(context);
  else if (!counts.spilled) await counts.copy(copy);
  else {
    counts.spill();
    await counts.writeSpilled(copy);
  }
}

/** Deletes these rows of a table by its key (KEYS). */
async function deleteRows(context: ProjectionContext, table: keyof typeof KEYS, columns: readonly string[], rows: readonly unknown[][]): Promise<void> {
  const key = KEYS[table];
  const at = key.map(([column]) => columns.indexOf(column));
  for (let start = 0; start < rows.length; start += CHUNK) {
    const values: unknown[] = [];
    const tuples = rows.slice(start, start + CHUNK).map((row) => `(${key.map(([, type], i) => `$${values.push(row[at[i]])}::${type}`).join(', ')})`);
    await context.query(
      `DELETE FROM ${context.schema}.${table} WHERE (${key.map(([column]) => column).join(', ')}) IN (VALUES ${tuples.join(', ')})`,
      values,
    );
  }
}

/**
 * Makes the table hold `next` where it held `stored`: the rows no longer there deleted, the new
 * ones inserted; the rows of every earlier recording moment, most of them, stay untouched.
 */
async function replaceChanged(context: ProjectionContext, table: keyof typeof KEYS, columns: readonly string[], stored: unknown[][], next: unknown[][]): Promise<void> {
  const text = (row: unknown[]) => JSON.stringify(row);
  const had = new Set(stored.map(text));
  const has = new Set(next.map(text));
  await deleteRows(context, table, columns, stored.filter((row) => !has.has(text(row))));
  await insertRows(context, table, [...columns], next.filter((row) => !had.has(text(row))));
}

/**
 * Flow statistics: `stat_events` keeps one non-personal row per dossier event and the moment the
 * event store recorded it, and `stat_dossier_periods` each dossier's situation on the
 * business-date axis; both bitemporal: each row also holds on the recording axis
 * (recorded-history.ts), so the tables answer as of any recording moment, and the rows with
 * `recorded_to` null are the answer now; `stat_person_attributes` keeps the sex and the runs of
 * age bands of each registered person (person-attributes.ts: the birth date is read through
 * `personalData` and not kept; an erasure forgets the age bands). Whenever a batch brings events of a dossier, its
 * timeline at each recording moment (and where each of its events counts) is recomputed from all
 * its events in business order, so an event recorded late lands in its own period from the
 * moment it was recorded on. Only the rows that differ from those stored are written: the open
 * rows a new event changes are closed, its new rows inserted. Text PostgreSQL cannot store is
 * kept in a safe form; an event whose business date it cannot store, or that cannot be read, is
 * not counted (engine/safe-form.ts), and both are noted. `stat_flow_counts` and `stat_flow_days`
 * keep the flows' counts per calendar period and per day (aggregates/flows.ts), moved with every
 * change of a dossier's rows. A rebuild, or a catch-up from empty tables, folds the log in one
 * pass (FlowStatisticsRebuild): each dossier once, from all its events, with the same steps.
 */
export function flowStatisticsProjection(
  personalData: PersonalDataReader,
  directory: MunicipalityDirectory = defaultMunicipalityDirectory,
  /** What a fold of staged events holds (specs set a few): the counts' cells before it spills them, the staged events it reads per step, a rebuild's erasures. */
  limits: StagedFoldLimits = STAGED_FOLD_LIMITS,
  /** Where a one-pass fold spills the counts it cannot hold (PROJECTION_SPILL_DIR; aggregates/spill.ts). */
  spillDirectory: string = tmpdir(),
): Projection {
  return {
    name: FLOW_STATISTICS,
    tables: [STAT_EVENTS_TABLE, STAT_PERIODS_TABLE, STAT_PERSONS_TABLE, STAT_DATE_COUNTS_TABLE, STAT_FLOW_COUNTS_TABLE, STAT_FLOW_DAYS_TABLE, STAT_EVENTS_STAGED_TABLE],
    streamPrefixes: [DOSSIER_STREAM_PREFIX],
    async apply(events: readonly RecordedEvent[], context: ProjectionContext) {
      await foldStaged(context, directory, limits, spillDirectory);
      const incoming = incomingOf(events, context);
      const persons = await personRowsOf(events, context, personalData);
      if (persons.length > 0) {
        // A batch delivered again writes the same rows.
        const ids = [...new Set(persons.map((row) => row[0]))];
        await context.query(`DELETE FROM ${context.schema}.${STAT_PERSONS_TABLE} WHERE dossier_id = ANY($1::uuid[])`, [ids]);
        await insertRows(context, STAT_PERSONS_TABLE, PERSON_COLUMNS, persons);
      }
      await forgetAgeBands(context, erasedIn(events, context));
      if (incoming.length === 0) return;
      const dossierIds = [...new Set(incoming.map((event) => event.dossierId))];
      const { kept: byDossier, tables: stored, now } = await storedOf(context, dossierIds);
      if (keep(byDossier, incoming) === 0) return;
      const next = historiesOf(byDossier.values(), directory);
      const changes = new CountChanges(spillDirectory);
      changes.add(now, next.now);
      await changes.write(context);
      await replaceChanged(context, STAT_EVENTS_TABLE, EVENT_COLUMNS, stored.events, next.events);
      await replaceChanged(context, STAT_PERIODS_TABLE, PERIOD_COLUMNS, stored.periods, next.periods);
    },
    rebuildWriter: () => new FlowStatisticsRebuild(personalData, directory, limits, spillDirectory),
    // Events staged: a one-pass catch-up ended before its last flush (the tables hold no rows or
    // counts then, foldStaged writes them). A fresh writer stages the rest and folds them all at its end.
    async onePassToFinish(context) {
      const [{ any }] = await context.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${context.schema}.${STAT_EVENTS_STAGED_TABLE}) AS any`);
      return any;
    },
  };
}

/**
 * The one-pass rebuild of the flow statistics (and catch-up from empty tables): the kept events
 * of each batch staged (STAT_EVENTS_STAGED_TABLE, with COPY at each flush, so a dossier's events
 * spread over the whole log cost no read-back), and at the last flush every dossier folded once
 * from them, its rows and counts written with COPY (foldStaged). Until then the tables have the
 * persons' attributes but no rows or counts. In a rebuild's copy the persons' rows go in without
 * their key (RebuildContext.keyAfterRows: they come in the log's order, a random one of the key's
 * dossier_id), so an erasure, which looks a person's rows up by dossier whatever flush they came in,
 * waits: the erased dossiers are forgotten together (forgetAgeBands, one scan of the table) at the
 * last flush, or at a flush once more than `limits.erasuresHeld` wait. A rebuild that fails or stops
 * drops its copy, so nothing waits across a crash. In the live schema (a catch-up from empty, which
 * a next start carries on from its last flush) the table keeps its key and each flush forgets its own.
 */
class FlowStatisticsRebuild implements RebuildWriter, FoldsWhileFlushing {
  private staged: unknown[][] = [];
  /** Rows of stat_person_attributes, and the dossiers erased since the last flush (forgotten after the rows are written). */
  private persons: unknown[][] = [];
  private erased: string[] = [];
  /** Whether the persons' rows go in without their key (a rebuild's copy); known at the first flush. */
  private personsWithoutKey: boolean | undefined;
  /** Without it: the dossiers erased in the flushes so far, not yet forgotten. */
  private toForget = new Set<string>();

  constructor(
    private readonly personalData: PersonalDataReader,
    private readonly directory: MunicipalityDirectory,
    private readonly limits: StagedFoldLimits,
    private readonly spillDirectory: string,
  ) {}

  /** Rows in memory: the kept events and the rows of stat_person_attributes it holds. */
  get size(): number {
    return this.staged.length + this.persons.length;
  }

  async fold(events: readonly RecordedEvent[], context: ProjectionContext): Promise<void> {
    // A registration comes once in the log (version 1): its rows are copied as they are.
    this.persons.push(...(await personRowsOf(events, context, this.personalData)));
    this.erased.push(...erasedIn(events, context));
    for (const event of incomingOf(events, context)) this.staged.push(stagedRowOf(event));
  }

  /**
   * What it holds, taken at once (FoldsWhileFlushing): the engine folds the next batches while
   * it goes in, since the fold reads nothing a flush writes (only the personal data keys).
   */
  takeHeld(): Pick<RebuildWriter, 'flush'> {
    const { staged, persons, erased } = this;
    this.staged = [];
    this.persons = [];
    this.erased = [];
    return {
      flush: async (context) => {
        this.personsWithoutKey ??= await context.keyAfterRows(STAT_PERSONS_TABLE);
        await context.copy(STAT_PERSONS_TABLE, context.schema, PERSON_COLUMNS, persons);
        if (!this.personsWithoutKey) await forgetAgeBands(context, erased);
        else {
          for (const dossierId of erased) this.toForget.add(dossierId);
          if (context.last || this.toForget.size > this.limits.erasuresHeld) {
            await forgetAgeBands(context, [...this.toForget]);
            this.toForget.clear();
          }
        }
        await context.copy(STAT_EVENTS_STAGED_TABLE, context.schema, STAGED_COLUMNS, staged);
        if (context.last) await foldStaged(context, this.directory, this.limits, this.spillDirectory, context);
      },
    };
  }

  async flush(context: RebuildContext): Promise<void> {
    await this.takeHeld().flush(context);
  }
}
