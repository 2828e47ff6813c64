import { defaultMunicipalityDirectory, DOSSIER_STREAM_PREFIX, isAdministrative, occurredOn, type DossierEvent, type MunicipalityDirectory } from '@app/domain';
import type { RecordedEvent } from '@app/event-store';
import { isStorableDate } from '@app/platform';
import { readDossierEvent } from '../read-dossier-event';
import {
  readEach,
  storableValue,
  type Projection,
  type ProjectionContext,
  type RebuildContext,
  type RebuildWriter,
  type SafeFormField,
  type SafeFormNotes,
  type PersonalDataReader,
} from '@app/projection-engine';
import { addDateCountChanges, applyDeltas, copyDeltas, DATE_COUNTS, Deltas, STAT_DATE_COUNTS_TABLE, type DossierTableRows } from './aggregates';
import { applyFlowCountDeltas, flowCountDeltas, noFlowCountDeltas, STAT_FLOW_COUNTS_TABLE, STAT_FLOW_DAYS_TABLE, type FlowEvent } from './aggregates/flows';
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

/** Every row of the dossiers' histories on both axes (recorded-history.ts), as the tables hold them. */
function historiesOf(byDossier: ReadonlyMap<string, RecordedStatEvent[]>, directory: MunicipalityDirectory): DossierTables {
  const eventRows: unknown[][] = [];
  const periodRows: unknown[][] = [];
  for (const kept of byDossier.values()) {
    const history = recordedHistory(kept, directory);
    for (const e of history.events) {
      eventRows.push([
        e.dossierId, e.version, e.type, e.occurredOn, e.eventMunicipality, e.housingType, e.reason, e.trajectory, e.residenceStatus, e.previousResidenceStatus,
        e.municipality, e.provinceNis, e.housingMunicipality, e.housingProvinceNis, e.recordedAt, e.recordedFrom, e.recordedTo,
      ]);
    }
    for (const p of history.periods) {
      periodRows.push([
        p.dossierId, p.validFrom, p.validTo, p.active, p.stage, p.housingType, p.municipality, p.provinceNis,
        p.employedNow, p.everEmployed, p.vdab, p.inburgering, p.residenceStatus, p.housingMunicipality, p.housingProvinceNis, p.recordedFrom, p.recordedTo,
      ]);
    }
  }
  return { events: eventRows, periods: periodRows };
}

const EVENT_AT = Object.fromEntries(EVENT_COLUMNS.map((column, index) => [column, index]));
const textOrNull = (value: unknown) => (value ?? null) as string | null;

/** The rows of stat_events valid now among rows as historiesOf writes them, as the flows' counts read them (aggregates/flows.ts). */
function flowEventsOf(eventRows: readonly unknown[][]): FlowEvent[] {
  return eventRows
    .filter((row) => row[EVENT_AT.recorded_to] === null)
    .map((row) => ({
      dossierId: row[EVENT_AT.dossier_id] as string,
      version: row[EVENT_AT.version] as number,
      type: row[EVENT_AT.type] as string,
      occurredOn: row[EVENT_AT.occurred_on] as string,
      category: textOrNull(row[EVENT_AT.reason]) ?? textOrNull(row[EVENT_AT.trajectory]) ?? textOrNull(row[EVENT_AT.residence_status]),
      municipality: textOrNull(row[EVENT_AT.municipality]),
      provinceNis: textOrNull(row[EVENT_AT.province_nis]),
    }));
}

/** The rows of the dossiers in a table, each as historiesOf writes it: every recording moment, or (`currentOnly`) those valid now. */
async function storedRows(context: ProjectionContext, table: string, columns: readonly string[], dossierIds: string[], currentOnly = false): Promise<unknown[][]> {
  const rows = (await context.query(
    `SELECT ${readBack(columns)} FROM ${context.schema}.${table} WHERE dossier_id = ANY($1::uuid[])${currentOnly ? ' AND recorded_to IS NULL' : ''}`,
    [dossierIds],
  )) as Array<Record<string, unknown>>;
  return rows.map((row) => columns.map((column) => row[column]));
}

/** Rows of both tables of some dossiers, columns in EVENT_COLUMNS' and PERIOD_COLUMNS' order. */
interface DossierTables {
  events: unknown[][];
  periods: unknown[][];
}

/**
 * The dossiers' rows as stored, read once: what the kept events, both aggregates' old
 * contributions and the rows to replace are all derived from (every recording moment, or only
 * the rows valid now where nothing else is needed).
 */
async function storedTablesOf(context: ProjectionContext, dossierIds: string[], currentOnly = false): Promise<DossierTables> {
  return {
    events: await storedRows(context, STAT_EVENTS_TABLE, EVENT_COLUMNS, dossierIds, currentOnly),
    periods: await storedRows(context, STAT_PERIODS_TABLE, PERIOD_COLUMNS, dossierIds, currentOnly),
  };
}

/**
 * Changes of the aggregates (stat_date_counts, stat_flow_counts, stat_flow_days), summed per
 * cell over the dossiers whose rows move (add) until written: each dossier's contribution of its
 * rows before taken away (as stored: none for a dossier new to the tables), that of its rows
 * after added; of both, only the rows valid now count.
 */
class CountChanges {
  private date = new Deltas();
  private flows = noFlowCountDeltas();

  add(before: DossierTables, after: DossierTables): void {
    const tables = (rows: DossierTables): DossierTableRows => ({ eventColumns: EVENT_COLUMNS, events: rows.events, periodColumns: PERIOD_COLUMNS, periods: rows.periods });
    addDateCountChanges(this.date, tables(before), tables(after));
    flowCountDeltas(flowEventsOf(before.events), flowEventsOf(after.events), this.flows);
  }

  /** Cells held. */
  get size(): number {
    return this.date.size + this.flows.periods.size + this.flows.days.size;
  }

  /**
   * Adds the changes held to the tables of `context.schema`, and holds none after. `copy`: the
   * tables are empty (a one-pass fold's first write), so the cells go in with COPY.
   */
  async write(context: ProjectionContext, copy?: RebuildContext): Promise<void> {
    const { date, flows } = this;
    this.date = new Deltas();
    this.flows = noFlowCountDeltas();
    await (copy ? copyDeltas(copy, DATE_COUNTS, date) : applyDeltas(context, DATE_COUNTS, date));
    await applyFlowCountDeltas(context, flows, copy);
  }
}

/**
 * A one-pass writer writes the changes of the aggregates it holds at the flush where it holds
 * more than this many cells, instead of at its last flush: a bound on their memory, about 17 MiB
 * (a cell is a key of some 50 characters and its counts: about 165 bytes, measured), well within
 * the service's heap (bounded to 200 MiB by npm start).
 */
const HELD_CELLS = 100_000;

/**
 * One row while the aggregates lag the rows of stat_events and stat_dossier_periods: a one-pass
 * fold flushed rows whose changes of the counts it holds in memory, to write at a later flush. A
 * fold that ends without its last flush (stopped, failed, overtaken) leaves it, and the next
 * batch the live path applies recomputes the counts from the rows (mendCounts).
 */
export const STAT_COUNTS_BEHIND_TABLE = 'stat_counts_behind';

async function markCountsBehind(context: ProjectionContext, behind: boolean): Promise<void> {
  const table = `${context.schema}.${STAT_COUNTS_BEHIND_TABLE}`;
  await context.query(behind ? `INSERT INTO ${table} (behind) VALUES (true) ON CONFLICT DO NOTHING` : `DELETE FROM ${table}`);
}

/** Dossiers whose current rows are read per statement while the counts are recomputed. */
const DOSSIERS_PER_STEP = 5000;

/**
 * Recomputes the aggregates from every dossier's current rows where a one-pass fold left them
 * behind (STAT_COUNTS_BEHIND_TABLE), before a batch changes anything: the counts are the sum of
 * the dossiers' contributions, as the migrations fill them. Otherwise one read of a table of at
 * most one row.
 */
async function mendCounts(context: ProjectionContext): Promise<void> {
  const [{ behind }] = await context.query<{ behind: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${context.schema}.${STAT_COUNTS_BEHIND_TABLE}) AS behind`);
  if (!behind) return;
  for (const table of [STAT_DATE_COUNTS_TABLE, STAT_FLOW_COUNTS_TABLE, STAT_FLOW_DAYS_TABLE]) await context.query(`DELETE FROM ${context.schema}.${table}`);
  const changes = new CountChanges();
  for (let after: string | null = null; ; ) {
    const rows: Array<{ id: string }> = await context.query(
      `SELECT DISTINCT dossier_id, dossier_id::text AS id FROM ${context.schema}.${STAT_EVENTS_TABLE}
        WHERE $1::uuid IS NULL OR dossier_id > $1::uuid ORDER BY dossier_id LIMIT ${DOSSIERS_PER_STEP}`,
      [after],
    );
    if (rows.length === 0) break;
    const ids = rows.map((row) => row.id);
    changes.add(NO_ROWS, await storedTablesOf(context, ids, true));
    if (changes.size > HELD_CELLS) await changes.write(context);
    after = ids[ids.length - 1];
  }
  await changes.write(context);
  await markCountsBehind(context, false);
}

const NO_ROWS: DossierTables = { events: [], periods: [] };

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

/** The kept events of the dossiers whose rows of stat_events (as storedRows reads them) these are, each once with its recording moment (from its rows valid now). */
function keptEventsOf(eventRows: readonly unknown[][]): Map<string, RecordedStatEvent[]> {
  const byDossier = new Map<string, RecordedStatEvent[]>();
  for (const row of eventRows) {
    if (row[EVENT_AT.recorded_to] !== null) continue;
    const event: RecordedStatEvent = {
      dossierId: row[EVENT_AT.dossier_id] as string,
      version: row[EVENT_AT.version] as number,
      type: row[EVENT_AT.type] as StatEvent['type'],
      occurredOn: row[EVENT_AT.occurred_on] as string,
      eventMunicipality: textOrNull(row[EVENT_AT.event_municipality]),
      housingType: textOrNull(row[EVENT_AT.housing_type]),
      reason: textOrNull(row[EVENT_AT.reason]),
      trajectory: textOrNull(row[EVENT_AT.trajectory]),
      residenceStatus: textOrNull(row[EVENT_AT.residence_status]),
      previousResidenceStatus: textOrNull(row[EVENT_AT.previous_residence_status]),
      recordedAt: row[EVENT_AT.recorded_at] as string,
    };
    const events = byDossier.get(event.dossierId);
    if (events) events.push(event);
    else byDossier.set(event.dossierId, [event]);
  }
  return byDossier;
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
 * change of a dossier's rows (and recomputed from the rows, by the first batch, where a one-pass
 * fold left them behind: mendCounts).
 * A rebuild folds the log in one pass (FlowStatisticsRebuild) with the same steps.
 */
export function flowStatisticsProjection(
  personalData: PersonalDataReader,
  directory: MunicipalityDirectory = defaultMunicipalityDirectory,
  /** Cells of the counts' changes a one-pass writer holds before it writes them at a flush (specs set a few). */
  heldCells = HELD_CELLS,
): Projection {
  return {
    name: FLOW_STATISTICS,
    tables: [STAT_EVENTS_TABLE, STAT_PERIODS_TABLE, STAT_PERSONS_TABLE, STAT_DATE_COUNTS_TABLE, STAT_FLOW_COUNTS_TABLE, STAT_FLOW_DAYS_TABLE, STAT_COUNTS_BEHIND_TABLE],
    streamPrefixes: [DOSSIER_STREAM_PREFIX],
    async apply(events: readonly RecordedEvent[], context: ProjectionContext) {
      await mendCounts(context);
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
      const stored = await storedTablesOf(context, dossierIds);
      const byDossier = keptEventsOf(stored.events);
      if (keep(byDossier, incoming) === 0) return;
      const next = historiesOf(byDossier, directory);
      const changes = new CountChanges();
      changes.add(stored, next);
      await changes.write(context);
      await replaceChanged(context, STAT_EVENTS_TABLE, EVENT_COLUMNS, stored.events, next.events);
      await replaceChanged(context, STAT_PERIODS_TABLE, PERIOD_COLUMNS, stored.periods, next.periods);
    },
    rebuildWriter: () => new FlowStatisticsRebuild(personalData, directory, heldCells),
  };
}

/**
 * The one-pass rebuild of the flow statistics: the kept events of the dossiers the log brings
 * gathered in memory (those of a dossier flushed before read back first, with its current rows,
 * whose contribution to the aggregates the flush takes away), and at each flush every gathered
 * dossier's history computed once and written with COPY, the rows of a dossier flushed before
 * replaced. Until the first flush the copy is empty, so there is nothing to read back or delete.
 * The aggregates' changes of every flush are held and written at the last one (or once they are
 * more than `heldCells` cells), the tables saying meanwhile that the counts lag (STAT_COUNTS_BEHIND_TABLE).
 */
class FlowStatisticsRebuild implements RebuildWriter {
  private byDossier = new Map<string, RecordedStatEvent[]>();
  /** The current rows of the dossiers flushed before that later events brought back. */
  private readBack: DossierTables = { events: [], periods: [] };
  private readBackIds: string[] = [];
  private events = 0;
  private flushed = false;
  /** The aggregates' changes of every flush since they were last written. */
  private counts = new CountChanges();
  private countsWritten = false;
  /** Rows of stat_person_attributes, and the dossiers erased since the last flush (forgotten after the rows are written). */
  private persons: unknown[][] = [];
  private erased: string[] = [];

  constructor(
    private readonly personalData: PersonalDataReader,
    private readonly directory: MunicipalityDirectory,
    private readonly heldCells: number,
  ) {}

  /**
   * Rows in memory: the kept events and the rows of stat_person_attributes it holds. The current
   * rows read back with a dossier flushed before are left out: they are that dossier's kept
   * events again and its periods, about as many: counted, they would make the writer flush (and
   * read back) more often than when it read them at the flush.
   */
  get size(): number {
    return this.events + this.persons.length;
  }

  async fold(events: readonly RecordedEvent[], context: ProjectionContext): Promise<void> {
    const incoming = incomingOf(events, context);
    // A registration comes once in the log (version 1): its rows are copied as they are.
    this.persons.push(...(await personRowsOf(events, context, this.personalData)));
    this.erased.push(...erasedIn(events, context));
    if (incoming.length === 0) return;
    if (this.flushed) {
      const missing = [...new Set(incoming.map((event) => event.dossierId))].filter((id) => !this.byDossier.has(id));
      if (missing.length > 0) {
        const stored = await storedTablesOf(context, missing, true);
        for (const [id, kept] of keptEventsOf(stored.events)) {
          this.byDossier.set(id, kept);
          this.events += kept.length;
        }
        this.readBack.events.push(...stored.events);
        this.readBack.periods.push(...stored.periods);
        this.readBackIds.push(...missing);
      }
    }
    this.events += keep(this.byDossier, incoming);
  }

  async flush(context: RebuildContext): Promise<void> {
    const { byDossier, readBack, readBackIds, persons, erased } = this;
    this.byDossier = new Map();
    this.readBack = { events: [], periods: [] };
    this.readBackIds = [];
    this.events = 0;
    this.persons = [];
    this.erased = [];
    await context.copy(STAT_PERSONS_TABLE, context.schema, PERSON_COLUMNS, persons);
    await forgetAgeBands(context, erased);
    if (byDossier.size > 0) {
      const next = historiesOf(byDossier, this.directory);
      this.counts.add(readBack, next);
      if (readBackIds.length > 0) {
        for (const table of [STAT_EVENTS_TABLE, STAT_PERIODS_TABLE]) {
          await context.query(`DELETE FROM ${context.schema}.${table} WHERE dossier_id = ANY($1::uuid[])`, [readBackIds]);
        }
      }
      await context.copy(STAT_EVENTS_TABLE, context.schema, EVENT_COLUMNS, next.events);
      await context.copy(STAT_PERIODS_TABLE, context.schema, PERIOD_COLUMNS, next.periods);
      this.flushed = true;
    }
    // The counts' changes are written once, at the end, unless they grow too many to hold; until then the tables say the counts lag.
    if (context.last || this.counts.size > this.heldCells) {
      // The fold started on empty tables: until its first write of the counts, theirs are empty.
      await this.counts.write(context, this.countsWritten ? undefined : context);
      this.countsWritten = true;
    }
    await markCountsBehind(context, this.counts.size > 0);
  }
}
