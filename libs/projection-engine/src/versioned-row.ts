import type { RecordedEvent } from '@app/event-store';
import type { ProjectionContext } from './projection';
import { columnKindOf, storableRow, type ColumnKind } from './safe-form';

/** Column name → value of one row of a per-dossier read model. */
export type Columns = Record<string, unknown>;

/** What one event changes in a per-dossier row (key dossier_id, at the event's version). */
export interface VersionedWrite {
  /** The event the row's changes come from: a value it has that PostgreSQL cannot store is noted against it. */
  readonly event: RecordedEvent;
  readonly row: Columns & { dossier_id: string; version: number };
  /**
   * A registration starts the state afresh: it creates the row, or sets every column of an
   * existing one. Any other event only changes a row that exists, as evolve() ignores events
   * before a registration.
   */
  readonly creates: boolean;
}

/** Writable (not generated) columns per table, with their kinds; a rebuild's copy has the live table's columns. */
const writableColumns = new Map<string, Promise<Map<string, ColumnKind>>>();

function columnsOf(context: ProjectionContext, table: string): Promise<Map<string, ColumnKind>> {
  let columns = writableColumns.get(table);
  if (!columns) {
    columns = context
      .query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns
          WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
        [context.schema, table],
      )
      .then((rows) => new Map(rows.map((row) => [row.column_name, columnKindOf(row.data_type)])));
    writableColumns.set(table, columns);
    // A failed lookup (say, in a transaction that was rolled back) is asked again next time.
    columns.catch(() => writableColumns.delete(table));
  }
  return columns;
}

/**
 * Writes a batch of events' changes to a per-dossier table in two statements, whatever the
 * batch's size: the rows it touches are read, the changes folded onto them in log order, and
 * each changed row upserted once. One statement per event made a round trip per event, the
 * limit of every rebuild (bench/README.md).
 *
 * Applying an event twice changes nothing: a change folds in only above the row's `version`,
 * and the upsert only replaces a row whose version is below the new one. The caller holds the
 * projection's checkpoint row lock, so no one else writes these rows between the two statements.
 * Each event's changes are made storable first, by column type (safe-form.ts), and noted.
 */
export async function writeVersionedRows(context: ProjectionContext, table: string, writes: readonly VersionedWrite[]): Promise<void> {
  if (writes.length === 0) return;
  const qualified = `${context.schema}.${table}`;
  const ids = [...new Set(writes.map((write) => write.row.dossier_id))];
  // to_jsonb keeps dates as YYYY-MM-DD and timestamps with their microseconds: back in unchanged.
  const existing = await context.query<{ row: Columns & { dossier_id: string; version: number } }>(
    `SELECT to_jsonb(t) AS row FROM ${qualified} t WHERE dossier_id = ANY($1::uuid[])`,
    [ids],
  );
  const rows = new Map(existing.map(({ row }) => [row.dossier_id, row]));
  const kinds = await columnsOf(context, table);
  const changed = new Set<string>();
  for (const { event, row, creates } of writes) {
    const current = rows.get(row.dossier_id);
    if (current ? current.version >= row.version : !creates) continue;
    rows.set(row.dossier_id, { ...current, ...storableRow(table, row, kinds, event, context) });
    changed.add(row.dossier_id);
  }
  if (changed.size === 0) return;
  const columns = [...kinds.keys()];
  const updates = columns.filter((name) => name !== 'dossier_id').map((name) => `${name} = EXCLUDED.${name}`);
  await context.query(
    `INSERT INTO ${qualified} (${columns.join(', ')})
     SELECT ${columns.join(', ')} FROM jsonb_populate_recordset(NULL::${qualified}, $1::jsonb)
     ON CONFLICT (dossier_id) DO UPDATE SET ${updates.join(', ')}
     WHERE ${table}.version < EXCLUDED.version`,
    [JSON.stringify([...changed].map((id) => rows.get(id)))],
  );
}
