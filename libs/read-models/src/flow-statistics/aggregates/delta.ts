import type { ProjectionContext } from '@app/projection-engine';

/**
 * A table of counts that is a sum over dossiers of a per-dossier contribution: its key columns
 * (with their SQL types) and `n`, the count. Its primary key is the key columns.
 */
export interface CountTable {
  readonly name: string;
  readonly keys: ReadonlyArray<readonly [column: string, type: 'text' | 'date']>;
}

/** Keys per upsert statement: arrays this long stay a few megabytes of parameters. */
const CHUNK = 50_000;

/**
 * The changes of a count table's cells a batch brings, summed per key: each dossier's
 * contribution of its new rows added, that of its old rows taken away. Cells whose changes
 * cancel out (a dossier's situation that did not change) are left alone.
 */
export class Deltas {
  /** By the key's values joined with NUL, which PostgreSQL text never holds (the projections keep it in a safe form). */
  private readonly cells = new Map<string, number>();

  add(key: readonly string[], n: number): void {
    this.addJoined(key.join(Deltas.SEPARATOR), n);
  }

  /** add() for a key already joined with SEPARATOR (the hot path of a large batch: no array per key). */
  addJoined(id: string, n: number): void {
    if (n !== 0) this.cells.set(id, (this.cells.get(id) ?? 0) + n);
  }

  static readonly SEPARATOR = '\u0000';

  /** The cells with a change, each once. */
  *changes(): Iterable<{ key: readonly string[]; n: number }> {
    for (const [id, n] of this.cells) if (n !== 0) yield { key: id.split(Deltas.SEPARATOR), n };
  }
}

/**
 * Adds the deltas to the table in `context.schema`: one upsert per chunk of keys (the arrays
 * unnested, so any number of rows is one statement), then the cells that reached 0 deleted, so the
 * table holds the same rows however the events were batched.
 */
export async function applyDeltas(context: Pick<ProjectionContext, 'schema' | 'query'>, table: CountTable, deltas: Deltas): Promise<void> {
  const changes = [...deltas.changes()];
  const columns = table.keys.map(([column]) => column);
  const target = `${context.schema}.${table.name}`;
  for (let start = 0; start < changes.length; start += CHUNK) {
    const chunk = changes.slice(start, start + CHUNK);
    const keyArrays = table.keys.map((_, i) => chunk.map((cell) => cell.key[i]));
    const casts = table.keys.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
    const zeros = (await context.query(
      `WITH changed AS (
         INSERT INTO ${target} AS t (${columns.join(', ')}, n)
         -- In key order: neighbouring keys share index pages.
         SELECT * FROM unnest(${casts}, $${columns.length + 1}::int[]) ORDER BY ${columns.map((_, i) => i + 1).join(', ')}
         ON CONFLICT (${columns.join(', ')}) DO UPDATE SET n = t.n + excluded.n
         RETURNING ${columns.map((column) => `${column}::text AS ${column}`).join(', ')}, n)
       SELECT ${columns.join(', ')} FROM changed WHERE n = 0`,
      [...keyArrays, chunk.map((cell) => cell.n)],
    )) as Array<Record<string, string>>;
    if (zeros.length === 0) continue;
    await context.query(
      `DELETE FROM ${target} WHERE (${columns.join(', ')}) IN (SELECT * FROM unnest(${casts}))`,
      table.keys.map(([column]) => zeros.map((row) => row[column])),
    );
  }
}
