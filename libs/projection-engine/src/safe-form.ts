import { MalformedEventError } from '@app/domain';
import type { RecordedEvent } from '@app/event-store';
import { errorKind, isStorableDate, isStorableTimestamp, isUuid, storableText } from '@app/platform';
import { READ_MODEL_SCHEMA } from './projection';

/**
 * Safe forms: a projection never stops at an event because PostgreSQL refuses one of its values
 * (docs/projections.md). Such a value is stored as a stand-in, and the event is listed in the
 * projection's status; the event itself, in the store, keeps the value as it was written.
 * - text with U+0000 or an unpaired surrogate: each such character as U+FFFD;
 * - a date PostgreSQL has not (0000-01-01, 2023-02-30, not a date at all): NULL;
 * - a timestamp likewise: the moment the store committed the event;
 * - an id that is not a UUID: NULL.
 * An event that cannot be read at all (a field missing or of another type, an unknown type, a
 * personal block that does not decrypt) is left out, and listed too.
 */
export const SAFE_FORM_TABLE = `${READ_MODEL_SCHEMA}.projection_safe_forms`;

export type StoredAs = 'U+FFFD' | 'NULL' | 'commit time';

export interface SafeFormField {
  /** Where the stand-in is: table.column. */
  readonly field: string;
  readonly storedAs: StoredAs;
}

/** What a projection tells the engine about events it could not store as they are. */
export interface SafeFormNotes {
  /** `fields` of the event's row(s) hold a stand-in for a value PostgreSQL cannot store. */
  storedInSafeForm(event: RecordedEvent, fields: readonly SafeFormField[]): void;
  /** The event was left out; `why` names the kind of error and the field, never a value. */
  leftOut(event: RecordedEvent, why: string): void;
}

/** The column types whose values come from events, and so may be unstorable. */
export type ColumnKind = 'text' | 'date' | 'timestamp' | 'uuid' | 'other';

export function columnKindOf(dataType: string): ColumnKind {
  switch (dataType) {
    case 'text':
    case 'character varying':
      return 'text';
    case 'date':
      return 'date';
    case 'timestamp with time zone':
    case 'timestamp without time zone':
      return 'timestamp';
    case 'uuid':
      return 'uuid';
    default:
      return 'other';
  }
}

/** One value for a column of this kind as PostgreSQL can store it, and the stand-in used, if any. */
export function storableValue(kind: ColumnKind, value: unknown, event: RecordedEvent): { value: unknown; storedAs?: StoredAs } {
  return standInFor(kind, value, event) ?? { value };
}

/**
 * The stand-in for a value PostgreSQL cannot store in a column of this kind, or undefined when
 * it stores the value as it is (nothing allocated: a rebuild asks this of every value it folds).
 */
function standInFor(kind: ColumnKind, value: unknown, event: RecordedEvent): { value: unknown; storedAs: StoredAs } | undefined {
  if (value === null || value === undefined) return undefined;
  switch (kind) {
    case 'text': {
      if (typeof value !== 'string') return undefined;
      const stored = storableText(value);
      return stored === value ? undefined : { value: stored, storedAs: 'U+FFFD' };
    }
    case 'date':
      return isStorableDate(value) ? undefined : { value: null, storedAs: 'NULL' };
    case 'timestamp':
      return isStorableTimestamp(value) ? undefined : { value: event.createdAt.toISOString(), storedAs: 'commit time' };
    case 'uuid':
      return typeof value === 'string' && isUuid(value) ? undefined : { value: null, storedAs: 'NULL' };
    default:
      return undefined;
  }
}

/**
 * A row an event writes, as PostgreSQL can store it: each value by its column's kind (columns
 * not in `kinds` pass as they are); the stand-ins are noted against the event.
 */
export function storableRow<Row extends Record<string, unknown>>(
  table: string,
  row: Row,
  kinds: ReadonlyMap<string, ColumnKind>,
  event: RecordedEvent,
  notes: SafeFormNotes,
): Row {
  let stored: Record<string, unknown> | undefined;
  let fields: SafeFormField[] | undefined;
  for (const column in row) {
    const safe = standInFor(kinds.get(column) ?? 'other', row[column], event);
    if (!safe) continue;
    stored ??= { ...row };
    stored[column] = safe.value;
    (fields ??= []).push({ field: `${table}.${column}`, storedAs: safe.storedAs });
  }
  if (fields) notes.storedInSafeForm(event, fields);
  return (stored ?? row) as Row;
}

interface Note {
  readonly event: RecordedEvent;
  readonly fields: Map<string, StoredAs>;
  leftOut: string | null;
}

/** The notes of one batch, saved in its transaction, so they commit with the changes they describe. */
export class SafeFormLog implements SafeFormNotes {
  private readonly notes = new Map<string, Note>();

  storedInSafeForm(event: RecordedEvent, fields: readonly SafeFormField[]): void {
    const note = this.noteOf(event);
    for (const { field, storedAs } of fields) note.fields.set(field, storedAs);
  }

  leftOut(event: RecordedEvent, why: string): void {
    this.noteOf(event).leftOut = why;
  }

  /** Saves the notes under the checkpoint (the projection's, or its rebuild's); an event noted before keeps its first note. */
  async save(query: (sql: string, parameters?: unknown[]) => Promise<unknown>, checkpoint: string): Promise<void> {
    if (this.notes.size === 0) return;
    const rows = [...this.notes.values()].map(({ event, fields, leftOut }) => ({
      event_id: event.id,
      event_type: storableText(event.type),
      position_commit: event.position.commit.toString(),
      position_prepare: event.position.prepare.toString(),
      fields: [...fields].map(([field, storedAs]) => ({ field, storedAs })),
      left_out: leftOut === null ? null : storableText(leftOut),
    }));
    await query(
      `INSERT INTO ${SAFE_FORM_TABLE} (checkpoint, event_id, event_type, position_commit, position_prepare, fields, left_out)
       SELECT $1, r.event_id, r.event_type, r.position_commit, r.position_prepare, r.fields, r.left_out
         FROM jsonb_to_recordset($2::jsonb)
           AS r (event_id uuid, event_type text, position_commit numeric, position_prepare numeric, fields jsonb, left_out text)
       ON CONFLICT (checkpoint, event_id) DO NOTHING`,
      [checkpoint, JSON.stringify(rows)],
    );
  }

  private noteOf(event: RecordedEvent): Note {
    let note = this.notes.get(event.id);
    if (!note) {
      note = { event, fields: new Map(), leftOut: null };
      this.notes.set(event.id, note);
    }
    return note;
  }
}

/** Why an event could not be read, for its note: the kind of error, and the field of a malformed event; never a value. */
export function unreadable(error: unknown): string {
  return error instanceof MalformedEventError ? `${errorKind(error)}: ${error.message}` : errorKind(error);
}

/**
 * Reads each event with `read` (pure: no SQL); an event it cannot read, because it throws, is
 * left out and noted. Returns what was read, in order; `read` may return undefined for an event
 * the projection has nothing to do with.
 */
export function readEach<T>(events: readonly RecordedEvent[], notes: SafeFormNotes, read: (event: RecordedEvent) => T | undefined): T[] {
  const results: T[] = [];
  for (const event of events) {
    try {
      const result = read(event);
      if (result !== undefined) results.push(result);
    } catch (error) {
      notes.leftOut(event, unreadable(error));
    }
  }
  return results;
}
