import type { RecordedEvent } from '@app/event-store';
import type { ProjectionContext, RebuildContext, RebuildWriter } from './projection';
import type { FoldsWhileFlushing } from './one-pass';
import { columnKindOf, storableRow, type ColumnKind, type SafeFormNotes } from './safe-form';
import { WrittenIds } from './written-ids';

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

type Row = Columns & { dossier_id: string; version: number };

/** The rows of `table` with these ids, as they are stored, by id. */
async function rowsOf(context: Pick<ProjectionContext, 'schema' | 'query'>, table: string, ids: readonly string[]): Promise<Map<string, Row>> {
  // to_jsonb keeps dates as YYYY-MM-DD and timestamps with their microseconds: back in unchanged.
  const existing = await context.query<{ row: Row }>(`SELECT to_jsonb(t) AS row FROM ${context.schema}.${table} t WHERE dossier_id = ANY($1::uuid[])`, [
    ids,
  ]);
  return new Map(existing.map(({ row }) => [row.dossier_id, row]));
}

/**
 * Folds writes, in log order, onto `rows` (by dossier id, every row of the table the writes
 * touch): a change folds in only above the row's version, and a row that is not there is only
 * created by a write that `creates` one. Each change is made storable first, by column kind
 * (safe-form.ts), and noted. Returns the ids of the rows changed. The one fold of the live path
 * and of the one-pass rebuild (VersionedRowsRebuild).
 */
function foldVersionedWrites(
  table: string,
  rows: Map<string, Row>,
  writes: readonly VersionedWrite[],
  kinds: ReadonlyMap<string, ColumnKind>,
  notes: SafeFormNotes,
  changed = new Set<string>(),
): Set<string> {
  for (const { event, row, creates } of writes) {
    const current = rows.get(row.dossier_id);
    if (current ? current.version >= row.version : !creates) continue;
    const stored = storableRow(table, row, kinds, event, notes);
    // The rows are the fold's own (read back, or a write's row taken over: writes are made for
    // one fold and not read after it): changed in place, not copied per event.
    if (current) Object.assign(current, stored);
    else rows.set(row.dossier_id, stored);
    changed.add(row.dossier_id);
  }
  return changed;
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
  const rows = await rowsOf(context, table, ids);
  const kinds = await columnsOf(context, table);
  const changed = foldVersionedWrites(table, rows, writes, kinds, context);
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

/** Rows of a per-dossier table that count as one row of the one-pass bound (PROJECTION_MEMORY_ROWS). */
const PER_DOSSIER_ROWS_PER_UNIT = 10;

/**
 * The one-pass rebuild of a per-dossier table: the rows folded in memory with the live path's
 * fold (foldVersionedWrites), each row written once per flush with COPY. The table is empty when
 * the writer starts, so a row not in memory exists only if a flush wrote it: the rows a batch
 * touches that are not in memory and that a flush may have written (WrittenIds) are read back
 * first, as the live path reads them. A row that was not read back is not in the table (only
 * this writer writes it): a flush COPYs those straight into it, and the rows read back into a
 * temporary table, from which it upserts them. `writesOf` is the projection's own reading of
 * events, the one `apply` uses.
 *
 * It folds on while a flush goes in (FoldsWhileFlushing): what it held goes to the flush at once,
 * and a row of that stretch that the next batches touch is taken from it (a copy: the flush may
 * still be writing the row), not read back, since the flush's rows are not in the table until it
 * commits. The engine starts the next flush only after that one, so by then the stretch is in
 * the table: the row goes in as a row read back (upserted), and the stretch is let go at the next
 * hand-over. Any other row a flush wrote is in the table, committed, when the fold reads it back.
 */
export class VersionedRowsRebuild<Ahead = never> implements RebuildWriter, FoldsWhileFlushing {
  private rows = new Map<string, Row>();
  private changed = new Set<string>();
  /** Rows of the table read back since the last flush, or taken from the stretch handed over. */
  private readBack = new Set<string>();
  /** The rows of the stretch handed over last (takeHeld), which its flush may still be writing. */
  private handedOver = new Map<string, Row>();
  private readonly written = new WrittenIds();
  /** What `lookAhead` is reading for the pages read but not folded yet. */
  private readonly ahead = new WeakMap<readonly RecordedEvent[], Promise<Ahead>>();

  constructor(
    private readonly table: string,
    private readonly writesOf: (events: readonly RecordedEvent[], context: ProjectionContext, ahead?: Ahead) => Promise<readonly VersionedWrite[]>,
    /** What `writesOf` reads for a page that can be read ahead of its fold (RebuildWriter.readAhead): the CRT registry's dossier keys. */
    private readonly lookAhead?: (events: readonly RecordedEvent[], context: Pick<ProjectionContext, 'schema' | 'query'>) => Promise<Ahead>,
  ) {}

  readAhead(events: readonly RecordedEvent[], context: Pick<ProjectionContext, 'schema' | 'query'>): void {
    if (!this.lookAhead) return;
    const ahead = this.lookAhead(events, context);
    // The page's fold awaits it and fails with it; a page never folded (the fold stopped) is nobody's failure.
    ahead.catch(() => undefined);
    this.ahead.set(events, ahead);
  }

  /**
   * A row of a per-dossier table counts as a tenth of a row of the bound: it holds about half a
   * kilobyte and is streamed out by COPY, where the bound is set for the flow statistics' kept
   * events, whose flush works on several times their size (bench/README.md, "One memory bound
   * for the catch-up"). Fewer flushes mean fewer rows read back and upserted. A fifth until the
   * writer folded on while its flush goes in: the engine hands a stretch over at half the share
   * then (two are held at once), and at a fifth that doubled the flushes and the rows read back
   * and upserted (bench/README.md, "The catch-up from empty: the flow statistics' flushes").
   */
  get size(): number {
    return Math.ceil(this.rows.size / PER_DOSSIER_ROWS_PER_UNIT);
  }

  async fold(events: readonly RecordedEvent[], context: ProjectionContext): Promise<void> {
    const ahead = this.ahead.get(events);
    this.ahead.delete(events);
    const writes = await this.writesOf(events, context, ahead && (await ahead));
    if (writes.length === 0) return;
    const missing = new Set<string>();
    for (const { row } of writes) {
      const id = row.dossier_id;
      if (this.rows.has(id)) continue;
      const flushing = this.handedOver.get(id);
      if (flushing) {
        // The fold changes its rows in place: the flush's row stays as it was handed over.
        this.rows.set(id, { ...flushing });
        this.readBack.add(id);
      } else if (this.written.mayHave(id)) missing.add(id);
    }
    if (missing.size > 0) {
      for (const [id, row] of await rowsOf(context, this.table, [...missing])) {
        this.rows.set(id, row);
        this.readBack.add(id);
      }
    }
    foldVersionedWrites(this.table, this.rows, writes, await columnsOf(context, this.table), context, this.changed);
  }

  /**
   * What it holds, taken at once (FoldsWhileFlushing): the engine folds the next batches while it
   * goes in. Called only once the flush before has committed, so the stretch before is let go.
   */
  takeHeld(): Pick<RebuildWriter, 'flush'> {
    const { rows, changed, readBack } = this;
    this.rows = new Map();
    this.changed = new Set();
    this.readBack = new Set();
    this.handedOver = rows;
    if (changed.size > 0) this.written.add(changed);
    return { flush: (context) => this.write(context, rows, changed, readBack) };
  }

  async flush(context: RebuildContext): Promise<void> {
    await this.takeHeld().flush(context);
  }

  private async write(context: RebuildContext, rows: ReadonlyMap<string, Row>, changed: ReadonlySet<string>, readBack: ReadonlySet<string>): Promise<void> {
    if (changed.size === 0) return;
    const columns = [...(await columnsOf(context, this.table)).keys()];
    const values = function* (stored: boolean) {
      for (const id of changed) {
        if (readBack.has(id) !== stored) continue;
        const row = rows.get(id) as Row;
        yield columns.map((column) => row[column]);
      }
    };
    await context.copy(this.table, context.schema, columns, values(false));
    if (readBack.size === 0) return;
    const qualified = `${context.schema}.${this.table}`;
    const staged = `one_pass_${this.table}`;
    await context.query(`CREATE TEMPORARY TABLE ${staged} ON COMMIT DROP AS SELECT ${columns.join(', ')} FROM ${qualified} WITH NO DATA`);
    await context.copy(staged, null, columns, values(true));
    const updates = columns.filter((name) => name !== 'dossier_id').map((name) => `${name} = EXCLUDED.${name}`);
    await context.query(
      `INSERT INTO ${qualified} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM ${staged}
       ON CONFLICT (dossier_id) DO UPDATE SET ${updates.join(', ')} WHERE ${this.table}.version < EXCLUDED.version`,
    );
  }
}
