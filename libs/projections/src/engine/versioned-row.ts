import type { ProjectionContext } from './projection';

/** Column name → value of one row of a per-dossier read model. */
export type Columns = Record<string, unknown>;

/** What one event changes in a per-dossier row (key dossier_id, at the event's version). */
export interface VersionedWrite {
  readonly row: Columns & { dossier_id: string; version: number };
  /**
   * A registration starts the state afresh: it creates the row, or sets every column of an
   * existing one. Any other event only changes a row that exists, as evolve() ignores events
   * before a registration.
   */
  readonly creates: boolean;
}

/** Writable (not generated) columns per table; a rebuild's copy has the live table's columns. */
const writableColumns = new Map<string, Promise<string[]>>();

function columnsOf(context: ProjectionContext, table: string): Promise<string[]> {
  let columns = writableColumns.get(table);
  if (!columns) {
    columns = context
      .query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns
          WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
        [context.schema, table],
      )
      .then((rows) => rows.map((row) => row.column_name));
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
  const changed = new Set<string>();
  for (const { row, creates } of writes) {
    const current = rows.get(row.dossier_id);
    if (current ? current.version >= row.version : !creates) continue;
    rows.set(row.dossier_id, { ...current, ...row });
    changed.add(row.dossier_id);
  }
  if (changed.size === 0) return;
  const columns = await columnsOf(context, table);
  const updates = columns.filter((name) => name !== 'dossier_id').map((name) => `${name} = EXCLUDED.${name}`);
  await context.query(
    `INSERT INTO ${qualified} (${columns.join(', ')})
     SELECT ${columns.join(', ')} FROM jsonb_populate_recordset(NULL::${qualified}, $1::jsonb)
     ON CONFLICT (dossier_id) DO UPDATE SET ${updates.join(', ')}
     WHERE ${table}.version < EXCLUDED.version`,
    [JSON.stringify([...changed].map((id) => rows.get(id)))],
  );
}
