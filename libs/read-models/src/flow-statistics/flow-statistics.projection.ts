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
import { erasedIn, forgetAgeBands, PERSON_COLUMNS, personRowsOf, STAT_PERSONS_TABLE } from './person-attributes';
import { situationTimeline, type Attribution, type StatEvent } from './situation';

export const FLOW_STATISTICS = 'flow-statistics';
export const STAT_EVENTS_TABLE = 'stat_events';
export const STAT_PERIODS_TABLE = 'stat_dossier_periods';

/** Rows per multi-row statement, well below PostgreSQL's 65,535 parameters. */
const CHUNK = 1000;

/** The non-personal part of an event: the personal block of a registration is never read. */
export function statEventOf(dossierId: string, version: number, event: DossierEvent): StatEvent | undefined {
  if (isAdministrative(event)) return undefined;
  const base = { dossierId, version, type: event.type as StatEvent['type'], occurredOn: occurredOn(event) };
  const none = { eventMunicipality: null, housingType: null, reason: null, trajectory: null, residenceStatus: null, previousResidenceStatus: null };
  switch (event.type) {
    case 'DossierRegistered':
      return { ...base, ...none, eventMunicipality: event.data.municipality };
    case 'PersonHoused':
      return { ...base, ...none, eventMunicipality: event.data.municipality, housingType: event.data.housingType };
    case 'PersonRehoused':
      return { ...base, ...none, eventMunicipality: event.data.municipality, housingType: event.data.housingType, reason: event.data.reason };
    case 'InburgeringEnrolled':
      return { ...base, ...none, trajectory: event.data.trajectory };
    case 'PersonLeft':
      return { ...base, ...none, reason: event.data.reason };
    case 'DossierReopened':
      return { ...base, ...none, eventMunicipality: event.data.municipality };
    case 'ResidenceStatusChanged':
      return { ...base, ...none, residenceStatus: event.data.status, previousResidenceStatus: event.data.previousStatus };
    default:
      return { ...base, ...none };
  }
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
  const stored = { ...event };
  const fields: SafeFormField[] = [];
  for (const [field, column] of Object.entries(TEXT_COLUMNS) as Array<[keyof typeof TEXT_COLUMNS, string]>) {
    const safe = storableValue('text', event[field], recorded);
    if (!safe.storedAs) continue;
    stored[field] = safe.value as string;
    fields.push({ field: `${STAT_EVENTS_TABLE}.${column}`, storedAs: safe.storedAs });
  }
  if (fields.length > 0) notes.storedInSafeForm(recorded, fields);
  return stored;
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
  'municipality', 'province_nis',
  'housing_municipality', 'housing_province_nis',
];
const PERIOD_COLUMNS = [
  'dossier_id', 'valid_from', 'valid_to', 'active', 'stage', 'housing_type', 'municipality', 'province_nis', 'employed_now', 'ever_employed', 'vdab', 'inburgering',
  'residence_status',
  'housing_municipality', 'housing_province_nis',
];

/** Where a kept event counts, by registration and by housing (null until its dossier's timeline is computed). */
type Place = Omit<Attribution, 'version'>;
const NOWHERE: Place = { municipality: null, provinceNis: null, housingMunicipality: null, housingProvinceNis: null };
const PLACE_FIELDS = Object.keys(NOWHERE) as Array<keyof Place>;

/** A kept event with where it counts. */
type AttributedEvent = StatEvent & Place;

/** The batch's events the statistics keep, each as it can be stored (countable), in log order. */
function incomingOf(events: readonly RecordedEvent[], notes: SafeFormNotes): StatEvent[] {
  return readEach(events, notes, (recorded) => {
    const { dossierId, event } = readDossierEvent(recorded);
    const kept = statEventOf(dossierId, recorded.version, event);
    return kept && countable(recorded, kept, notes);
  });
}

/**
 * Adds the incoming events to their dossiers' kept events (by dossier), each to `fresh`; one
 * already kept (a batch delivered again), or twice in the batch, is kept once.
 */
function keep(byDossier: Map<string, AttributedEvent[]>, incoming: readonly StatEvent[], fresh: Set<AttributedEvent>): void {
  for (const event of incoming) {
    const kept = byDossier.get(event.dossierId) ?? [];
    if (kept.some((other) => other.version === event.version)) continue;
    const added = { ...event, ...NOWHERE };
    kept.push(added);
    byDossier.set(event.dossierId, kept);
    fresh.add(added);
  }
}

/**
 * Each dossier's periods from all its kept events in business order, and where each event
 * counts: set on the events; `moved` lists the events kept before (not fresh) whose place changed.
 */
function timelinesOf(
  byDossier: ReadonlyMap<string, AttributedEvent[]>,
  fresh: ReadonlySet<AttributedEvent>,
  directory: MunicipalityDirectory,
): { periodRows: unknown[][]; moved: unknown[][] } {
  const periodRows: unknown[][] = [];
  const moved: unknown[][] = [];
  for (const [dossierId, kept] of byDossier) {
    const { periods, attributions } = situationTimeline(kept, directory);
    for (const p of periods) {
      periodRows.push([
        p.dossierId, p.validFrom, p.validTo, p.active, p.stage, p.housingType, p.municipality, p.provinceNis,
        p.employedNow, p.everEmployed, p.vdab, p.inburgering, p.residenceStatus,
        p.housingMunicipality, p.housingProvinceNis,
      ]);
    }
    const byVersion = new Map(kept.map((event) => [event.version, event]));
    for (const { version, ...place } of attributions) {
      const event = byVersion.get(version)!;
      if (PLACE_FIELDS.every((field) => event[field] === place[field])) continue;
      Object.assign(event, place);
      if (!fresh.has(event)) moved.push([dossierId, version, ...PLACE_FIELDS.map((field) => place[field])]);
    }
  }
  return { periodRows, moved };
}

const eventRowOf = (e: AttributedEvent): unknown[] => [
  e.dossierId, e.version, e.type, e.occurredOn, e.eventMunicipality, e.housingType, e.reason, e.trajectory, e.residenceStatus, e.previousResidenceStatus,
  e.municipality, e.provinceNis,
  e.housingMunicipality, e.housingProvinceNis,
];

/** Sets where these kept events count (dossier, version, then the place columns). */
async function updateMoved(context: ProjectionContext, moved: readonly unknown[][]): Promise<void> {
  const placeColumns = ['municipality', 'province_nis', 'housing_municipality', 'housing_province_nis'];
  for (let start = 0; start < moved.length; start += CHUNK) {
    const chunk = moved.slice(start, start + CHUNK);
    const values: unknown[] = [];
    const tuples = chunk.map(
      ([dossierId, version, ...place]) =>
        `($${values.push(dossierId)}::uuid, $${values.push(version)}::integer, ${place.map((value) => `$${values.push(value)}::text`).join(', ')})`,
    );
    await context.query(
      `UPDATE ${context.schema}.${STAT_EVENTS_TABLE} AS e SET ${placeColumns.map((column) => `${column} = v.${column}`).join(', ')}
         FROM (VALUES ${tuples.join(', ')}) AS v (dossier_id, version, ${placeColumns.join(', ')})
        WHERE e.dossier_id = v.dossier_id AND e.version = v.version`,
      values,
    );
  }
}

async function keptEventsOf(dossierIds: string[], context: ProjectionContext): Promise<Map<string, AttributedEvent[]>> {
  const rows = (await context.query(
    `SELECT dossier_id::text, version, type, occurred_on::text, event_municipality, housing_type, reason, trajectory, residence_status,
            previous_residence_status, municipality, province_nis, housing_municipality, housing_province_nis
       FROM ${context.schema}.${STAT_EVENTS_TABLE} WHERE dossier_id = ANY($1::uuid[])`,
    [dossierIds],
  )) as Array<Record<string, string | number | null>>;
  const byDossier = new Map<string, AttributedEvent[]>();
  for (const row of rows) {
    const event: AttributedEvent = {
      dossierId: row.dossier_id as string,
      version: Number(row.version),
      type: row.type as StatEvent['type'],
      occurredOn: row.occurred_on as string,
      eventMunicipality: row.event_municipality as string | null,
      housingType: row.housing_type as string | null,
      reason: row.reason as string | null,
      trajectory: row.trajectory as string | null,
      residenceStatus: row.residence_status as string | null,
      previousResidenceStatus: row.previous_residence_status as string | null,
      municipality: row.municipality as string | null,
      provinceNis: row.province_nis as string | null,
      housingMunicipality: row.housing_municipality as string | null,
      housingProvinceNis: row.housing_province_nis as string | null,
    };
    const events = byDossier.get(event.dossierId);
    if (events) events.push(event);
    else byDossier.set(event.dossierId, [event]);
  }
  return byDossier;
}

/**
 * Flow statistics: `stat_events` keeps one non-personal row per dossier event (primary key
 * dossier + version, so applying an event twice changes nothing), `stat_dossier_periods`
 * each dossier's situation on the business-date axis, and `stat_person_attributes` the sex and
 * the runs of age bands of each registered person (person-attributes.ts: the birth date is read
 * through `personalData` and not kept; an erasure forgets the age bands). Whenever a batch brings events of a
 * dossier, its periods (and where each of its events counts) are recomputed from all its
 * events in business order, so an event recorded late lands in its own period. The batch's
 * events are inserted with where they count; of the events kept before, only those a late
 * event moves to another municipality are updated. Text PostgreSQL cannot store is kept in a
 * safe form; an event whose business date it cannot store, or that cannot be read, is not
 * counted (engine/safe-form.ts), and both are noted. A rebuild folds the log in one pass
 * (FlowStatisticsRebuild) with the same steps.
 */
export function flowStatisticsProjection(personalData: PersonalDataReader, directory: MunicipalityDirectory = defaultMunicipalityDirectory): Projection {
  return {
    name: FLOW_STATISTICS,
    tables: [STAT_EVENTS_TABLE, STAT_PERIODS_TABLE, STAT_PERSONS_TABLE],
    streamPrefixes: [DOSSIER_STREAM_PREFIX],
    async apply(events: readonly RecordedEvent[], context: ProjectionContext) {
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
      const byDossier = await keptEventsOf([...new Set(incoming.map((event) => event.dossierId))], context);
      const fresh = new Set<AttributedEvent>();
      keep(byDossier, incoming, fresh);
      if (fresh.size === 0) return;
      const { periodRows, moved } = timelinesOf(byDossier, fresh, directory);
      await insertRows(context, STAT_EVENTS_TABLE, EVENT_COLUMNS, [...fresh].map(eventRowOf), 'ON CONFLICT (dossier_id, version) DO NOTHING');
      await updateMoved(context, moved);
      await context.query(`DELETE FROM ${context.schema}.${STAT_PERIODS_TABLE} WHERE dossier_id = ANY($1::uuid[])`, [[...byDossier.keys()]]);
      await insertRows(context, STAT_PERIODS_TABLE, PERIOD_COLUMNS, periodRows);
    },
    rebuildWriter: () => new FlowStatisticsRebuild(personalData, directory),
  };
}

/**
 * The one-pass rebuild of the flow statistics: the kept events of the dossiers the log brings
 * gathered in memory (those of a dossier flushed before read back first, as apply reads them),
 * and at each flush every gathered dossier's timeline computed once, its new events and its
 * periods written with COPY, the events a late one moved updated. Until the first flush the
 * copy is empty, so there is nothing to read back or delete.
 */
class FlowStatisticsRebuild implements RebuildWriter {
  private byDossier = new Map<string, AttributedEvent[]>();
  private fresh = new Set<AttributedEvent>();
  private events = 0;
  private flushed = false;
  /** Rows of stat_person_attributes, and the dossiers erased since the last flush (forgotten after the rows are written). */
  private persons: unknown[][] = [];
  private erased: string[] = [];

  constructor(
    private readonly personalData: PersonalDataReader,
    private readonly directory: MunicipalityDirectory,
  ) {}

  /** Rows in memory: the kept events of stat_events and the rows of stat_person_attributes it holds. */
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
      for (const [id, kept] of missing.length > 0 ? await keptEventsOf(missing, context) : []) {
        this.byDossier.set(id, kept);
        this.events += kept.length;
      }
    }
    const before = this.fresh.size;
    keep(this.byDossier, incoming, this.fresh);
    this.events += this.fresh.size - before;
  }

  async flush(context: RebuildContext): Promise<void> {
    const { byDossier, fresh, persons, erased } = this;
    this.byDossier = new Map();
    this.fresh = new Set();
    this.events = 0;
    this.persons = [];
    this.erased = [];
    await context.copy(STAT_PERSONS_TABLE, context.schema, PERSON_COLUMNS, persons);
    await forgetAgeBands(context, erased);
    if (fresh.size === 0) return;
    const { periodRows, moved } = timelinesOf(byDossier, fresh, this.directory);
    await context.copy(STAT_EVENTS_TABLE, context.schema, EVENT_COLUMNS, [...fresh].map(eventRowOf));
    await updateMoved(context, moved);
    if (this.flushed) {
      await context.query(`DELETE FROM ${context.schema}.${STAT_PERIODS_TABLE} WHERE dossier_id = ANY($1::uuid[])`, [[...byDossier.keys()]]);
    }
    await context.copy(STAT_PERIODS_TABLE, context.schema, PERIOD_COLUMNS, periodRows);
    this.flushed = true;
  }
}
