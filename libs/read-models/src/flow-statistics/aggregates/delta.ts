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
  private readonly cells = new Map<string, { key: readonly string[]; n: number }>();

  add(key: readonly string[], n: number): void {
    if (n === 0) return;
    const id = key.join('\t');
    const cell = this.cells.get(id);
    if (cell) cell.n += n;
    else this.cells.set(id, { key, n });
  }

  /** The cells with a change, each once. */
  *changes(): Iterable<{ key: readonly string[]; n: number }> {
    for (const cell of this.cells.values()) if (cell.n !== 0) yield cell;
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
         SELECT * FROM unnest(${casts}, $${columns.length + 1}::int[])
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
