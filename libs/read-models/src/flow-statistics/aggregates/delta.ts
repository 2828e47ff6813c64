import type { ProjectionContext, RebuildContext } from '@app/projection-engine';

/**
 * A table of counts that is a sum over dossiers of a per-dossier contribution: its key columns
 * (with their SQL types) and its count columns (`n` alone unless `counts` names them; the first
 * is 0 only when all are). Its primary key is the key columns.
 */
export interface CountTable {
  readonly name: string;
  readonly keys: ReadonlyArray<readonly [column: string, type: 'text' | 'date']>;
  readonly counts?: readonly string[];
}

/** Keys per upsert statement: arrays this long stay a few megabytes of parameters. */
const CHUNK = 50_000;

/**
 * Makes V8 keep a key built by concatenation as one flat string rather than the tree of its parts
 * (reading a character flattens it): kept as a Map's key, the tree took about three times the
 * memory (318 against 109 bytes a cell, measured with 400,000 keys of 50 characters), and hashing
 * it for each lookup walked the tree (the same 400,000 insertions took 3.8 s against 1.5 s).
 */
export function flatten(key: string): void {
  key.charCodeAt(0);
}

/**
 * The changes of a count table's cells a batch brings, summed per key: each dossier's
 * contribution of its new rows added, that of its old rows taken away. Cells whose changes
 * cancel out (a dossier's situation that did not change) are left alone.
 */
export class Deltas {
  /** By the key's values joined with NUL, which PostgreSQL text never holds (the projections keep it in a safe form); a change per count column. */
  private readonly cells = new Map<string, number[]>();

  /** `width`: the table's count columns (CountTable.counts). */
  constructor(private readonly width = 1) {}

  /** Adds n to the count column `at` (0: the first) of the cell. */
  add(key: readonly string[], n: number, at = 0): void {
    this.addJoined(key.join(Deltas.SEPARATOR), n, at);
  }

  /** add() for a key already joined with SEPARATOR (the hot path of a large batch: no array per key). */
  addJoined(id: string, n: number, at = 0): void {
    if (n === 0) return;
    flatten(id);
    const cell = this.cells.get(id);
    if (cell) cell[at] += n;
    else {
      const counts = new Array<number>(this.width).fill(0);
      counts[at] = n;
      this.cells.set(id, counts);
    }
  }

  static readonly SEPARATOR = '\u0000';

  /** Cells held (changes that cancelled out included). */
  get size(): number {
    return this.cells.size;
  }

  /** The cells with a change, each once, with the change of each count column. */
  *changes(): Iterable<{ key: readonly string[]; n: readonly number[] }> {
    for (const [id, n] of this.cells) if (n.some((change) => change !== 0)) yield { key: id.split(Deltas.SEPARATOR), n };
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
  const counts = table.counts ?? ['n'];
  const target = `${context.schema}.${table.name}`;
  for (let start = 0; start < changes.length; start += CHUNK) {
    const chunk = changes.slice(start, start + CHUNK);
    const keyArrays = table.keys.map((_, i) => chunk.map((cell) => cell.key[i]));
    const casts = table.keys.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
    const zeros = (await context.query(
      `WITH changed AS (
         INSERT INTO ${target} AS t (${[...columns, ...counts].join(', ')})
         -- In key order: neighbouring keys share index pages.
         SELECT * FROM unnest(${casts}, ${counts.map((_, i) => `$${columns.length + 1 + i}::int[]`).join(', ')}) ORDER BY ${columns.map((_, i) => i + 1).join(', ')}
         ON CONFLICT (${columns.join(', ')}) DO UPDATE SET ${counts.map((count) => `${count} = t.${count} + excluded.${count}`).join(', ')}
         RETURNING ${columns.map((column) => `t.${column}::text AS ${column}`).join(', ')}, t.${counts[0]} AS zero_if_empty)
       SELECT ${columns.join(', ')} FROM changed WHERE zero_if_empty = 0`,
      [...keyArrays, ...counts.map((_, i) => chunk.map((cell) => cell.n[i]))],
    )) as Array<Record<string, string>>;
    if (zeros.length === 0) continue;
    await context.query(
      `DELETE FROM ${target} WHERE (${columns.join(', ')}) IN (SELECT * FROM unnest(${casts}))`,
      table.keys.map(([column]) => zeros.map((row) => row[column])),
    );
  }
}

/**
 * Writes the deltas into the table in `context.schema` while it is empty (a one-pass fold's first
 * write of its counts): each cell with a change as a row, with COPY; what applyDeltas would
 * leave there, without its conflict checks.
 */
export async function copyDeltas(context: Pick<RebuildContext, 'copy'> & { schema: string | null }, table: CountTable, deltas: Deltas): Promise<void> {
  const columns = [...table.keys.map(([column]) => column), ...(table.counts ?? ['n'])];
  const rows = function* () {
    for (const { key, n } of deltas.changes()) yield [...key, ...n];
  };
  await context.copy(table.name, context.schema, columns, rows());
}

/** The unindexed temporary table a one-pass fold spills a count table's deltas into (spillDeltas), dropped at its transaction's end. */
const spillOf = (table: CountTable) => `${table.name}_spilled`;

/**
 * Adds the deltas to the table's spill (created on first use, in the transaction of `context`,
 * which must be the one of sumSpilled): COPY without conflict checks, the same cell possibly
 * several times. A one-pass fold writes its counts so when they are too many to hold in memory.
 */
export async function spillDeltas(context: Pick<RebuildContext, 'schema' | 'query' | 'copy'>, table: CountTable, deltas: Deltas): Promise<void> {
  await context.query(`CREATE TEMPORARY TABLE IF NOT EXISTS ${spillOf(table)} (LIKE ${context.schema}.${table.name}) ON COMMIT DROP`);
  await copyDeltas({ schema: null, copy: context.copy }, { ...table, name: spillOf(table) }, deltas);
}

/**
 * Writes into the table, empty, the spill's cells summed per key (spillDeltas): what applyDeltas
 * would leave there after the same deltas, a cell whose first count sums to 0 left out. Summed by
 * sorting (with the memory to sort in memory) in the order of the table's primary key, so the
 * rows go into its index one after the other rather than anywhere.
 */
export async function writeSpilled(context: Pick<ProjectionContext, 'schema' | 'query'>, table: CountTable): Promise<void> {
  const target = `${context.schema}.${table.name}`;
  const primaryKey = (
    await context.query<{ column: string }>(
      `SELECT a.attname AS column FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
      [target],
    )
  ).map((row) => row.column);
  const counts = table.counts ?? ['n'];
  await context.query(`SET LOCAL work_mem = '${SUM_MEMORY}'`);
  await context.query(
    `INSERT INTO ${target} (${[...primaryKey, ...counts].join(', ')})
     SELECT ${primaryKey.join(', ')}, ${counts.map((count) => `sum(${count})`).join(', ')} FROM ${spillOf(table)}
      GROUP BY ${primaryKey.join(', ')} HAVING sum(${counts[0]}) <> 0 ORDER BY ${primaryKey.join(', ')}`,
  );
}

/** PostgreSQL's memory for summing a spill (work_mem, for that transaction only): some million cells sorted in memory, not on disk. */
const SUM_MEMORY = '256MB';
