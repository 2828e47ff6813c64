import type { ProjectionContext, RebuildContext } from '@app/projection-engine';

/**
 * A table of counts that is a sum over dossiers of a per-dossier contribution: its key columns
 * (with their SQL types) and its count columns (`n` alone unless `counts` names them; the first
 * is 0 only when all are). Its primary key is the key columns, in the order of `primaryKey` where
 * that is not theirs.
 */
export interface CountTable {
  readonly name: string;
  readonly keys: ReadonlyArray<readonly [column: string, type: 'text' | 'date']>;
  readonly counts?: readonly string[];
  readonly primaryKey?: readonly string[];
}

/** The table's key columns in the order of its primary key, as indexes into `keys`. */
export const primaryKeyOrder = (table: CountTable): number[] =>
  (table.primaryKey ?? table.keys.map(([column]) => column)).map((column) => table.keys.findIndex(([key]) => key === column));

/** Keys per upsert statement: arrays this long stay a few megabytes of parameters. */
const CHUNK = 50_000;

/**
 * The texts of a count table's key values as small numbers (codes), and back: a key is kept as
 * its values' codes, so adding to a cell hashes a few integers instead of a string of some 50
 * characters built for the purpose (which took a third of the flow statistics' fold and most of
 * its garbage, bench/README.md "Staged events folded once"). The values are codes, dates,
 * measures and categories: a few thousand distinct texts.
 */
export class Codes {
  private readonly texts: string[] = [];
  private readonly byText = new Map<string, number>();

  of(text: string): number {
    let code = this.byText.get(text);
    if (code === undefined) {
      code = this.texts.length;
      this.texts.push(text);
      this.byText.set(text, code);
    }
    return code;
  }

  text(code: number): string {
    return this.texts[code];
  }

  /** Texts known (their codes are 0 to size - 1). */
  get size(): number {
    return this.texts.length;
  }
}

/** A slot with no cell (codes are 0 or more). */
const EMPTY = -1;

/**
 * The changes of a count table's cells a batch brings, summed per key: each dossier's
 * contribution of its new rows added, that of its old rows taken away. Cells whose changes
 * cancel out (a dossier's situation that did not change) are left alone. The cells are kept in
 * typed arrays (open addressing, linear probing), a key as its values' codes (`codes`): adding
 * allocates nothing, and a cell takes some 50 to 70 bytes outside V8's heap (165 on it, with its
 * key as a string, until 2026-12-05).
 */
export class Deltas {
  private keys: Int32Array;
  private counts: Int32Array;
  private capacity: number;
  private cells = 0;

  /**
   * `keyWidth`: the table's key columns; `width`: its count columns (CountTable.counts); `codes`:
   * the key values' codes, shared by the Deltas whose keys are built from the same values.
   */
  constructor(
    private readonly keyWidth: number,
    private readonly width = 1,
    readonly codes = new Codes(),
    capacity = 1024,
  ) {
    this.capacity = capacity;
    this.keys = new Int32Array(capacity * keyWidth).fill(EMPTY);
    this.counts = new Int32Array(capacity * width);
  }

  /** Adds n to the count column `at` (0: the first) of the cell whose key values' codes are `key`. */
  add(key: ArrayLike<number>, n: number, at = 0): void {
    if (n === 0) return;
    // The slot first: finding it may grow the arrays.
    const slot = this.slotOf(key);
    this.counts[slot * this.width + at] += n;
  }

  /** The slot of the cell with this key, made (its counts 0) if there was none. */
  slotOf(key: ArrayLike<number>): number {
    const width = this.keyWidth;
    let hash = 0x811c9dc5 | 0;
    for (let i = 0; i < width; i++) hash = Math.imul(hash ^ key[i], 0x01000193);
    hash ^= hash >>> 15;
    const mask = this.capacity - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const base = slot * width;
      if (this.keys[base] === EMPTY) {
        if ((this.cells + 1) * 4 > this.capacity * 3) {
          this.grow();
          return this.slotOf(key);
        }
        for (let i = 0; i < width; i++) this.keys[base + i] = key[i];
        this.cells++;
        return slot;
      }
      let same = true;
      for (let i = 0; i < width && same; i++) same = this.keys[base + i] === key[i];
      if (same) return slot;
    }
  }

  /** The count column `at` of the cell in `slot`, and setting it. */
  count(slot: number, at: number): number {
    return this.counts[slot * this.width + at];
  }

  setCount(slot: number, at: number, n: number): void {
    this.counts[slot * this.width + at] = n;
  }

  private grow(): void {
    const { keys, counts, capacity } = this;
    this.capacity = capacity * 2;
    this.keys = new Int32Array(this.capacity * this.keyWidth).fill(EMPTY);
    this.counts = new Int32Array(this.capacity * this.width);
    this.cells = 0;
    for (let slot = 0; slot < capacity; slot++) {
      if (keys[slot * this.keyWidth] === EMPTY) continue;
      const to = this.slotOf(keys.subarray(slot * this.keyWidth, (slot + 1) * this.keyWidth));
      this.counts.set(counts.subarray(slot * this.width, (slot + 1) * this.width), to * this.width);
    }
  }

  /** Holds no cell (its arrays kept, for a Deltas used over and over). */
  clear(): void {
    this.keys.fill(EMPTY);
    this.counts.fill(0);
    this.cells = 0;
  }

  /** Cells held (changes that cancelled out included). */
  get size(): number {
    return this.cells;
  }

  /** Each cell: its key's codes (a view, valid until the next add) and the change of its first count column. */
  *cellCodes(): Iterable<{ key: Int32Array; n: number; slot: number }> {
    for (let slot = 0; slot < this.capacity; slot++) {
      const base = slot * this.keyWidth;
      if (this.keys[base] === EMPTY) continue;
      yield { key: this.keys.subarray(base, base + this.keyWidth), n: this.counts[slot * this.width], slot };
    }
  }

  /** The cells with a change, each once (in no order), with its key's values and the change of each count column. */
  *changes(): Iterable<{ key: readonly string[]; n: readonly number[] }> {
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.keys[slot * this.keyWidth] === EMPTY) continue;
      const change = this.changeAt(slot);
      if (change) yield change;
    }
  }

  /**
   * The same cells in the order of their keys (the key's values compared as texts, column by
   * column in `order`, the indexes of the key's columns: as a primary key on the columns orders
   * them where the texts are dates, codes and plain words): rows written so lie in the table in
   * the order of its primary key, and a question reads
   * a range of the key from a few neighbouring pages instead of one row per page (bench/README.md,
   * "The kept counts stored in key order").
   */
  *changesInKeyOrder(order: readonly number[] = Array.from({ length: this.keyWidth }, (_, i) => i)): Iterable<{ key: readonly string[]; n: readonly number[] }> {
    for (const slot of this.slotsInKeyOrder(order)) {
      const change = this.changeAt(slot);
      if (change) yield change;
    }
  }

  /** The slots of the cells held in the order of their keys (changesInKeyOrder): sorts the slots alone (4 bytes a cell), by each code's rank among the texts. */
  slotsInKeyOrder(order: readonly number[]): Int32Array {
    const width = this.keyWidth;
    const codes = this.codes.size;
    const byText = Array.from({ length: codes }, (_, code) => code).sort((a, b) => compareTexts(this.codes.text(a), this.codes.text(b)));
    const rank = new Int32Array(codes);
    byText.forEach((code, at) => (rank[code] = at));
    const slots = new Int32Array(this.cells);
    let held = 0;
    for (let slot = 0; slot < this.capacity; slot++) if (this.keys[slot * width] !== EMPTY) slots[held++] = slot;
    return slots.sort((a, b) => {
      for (const i of order) {
        const byRank = rank[this.keys[a * width + i]] - rank[this.keys[b * width + i]];
        if (byRank !== 0) return byRank;
      }
      return 0;
    });
  }

  /** The codes of the key of the cell in `slot` (a view, valid until the next add). */
  keyIn(slot: number): Int32Array {
    return this.keys.subarray(slot * this.keyWidth, (slot + 1) * this.keyWidth);
  }

  /**
   * The cell in `slot` if it has a change (none or one). Read straight from the arrays: a spill
   * yields millions of cells, and a view and a copy of each cell's arrays were most of their cost
   * (bench/README.md, "The flow statistics' fold: less work per dossier").
   */
  private changeAt(slot: number): { key: readonly string[]; n: readonly number[] } | undefined {
    const { width, keyWidth, counts, keys, codes } = this;
    const at = slot * width;
    let changed = false;
    for (let i = 0; i < width && !changed; i++) changed = counts[at + i] !== 0;
    if (!changed) return undefined;
    const n = new Array<number>(width);
    for (let i = 0; i < width; i++) n[i] = counts[at + i];
    const base = slot * keyWidth;
    const key = new Array<string>(keyWidth);
    for (let i = 0; i < keyWidth; i++) key[i] = codes.text(keys[base + i]);
    return { key, n };
  }
}

/** Texts in the order of their UTF-16 code units (a plain `<`), the order of the C collation for the ASCII texts of the keys. */
export const compareTexts = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

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
 * write of its counts): each cell with a change as a row, with COPY, in the order of the table's
 * primary key (Deltas.changesInKeyOrder); what applyDeltas would leave there, without its conflict checks.
 */
export async function copyDeltas(context: Pick<RebuildContext, 'copy'> & { schema: string | null }, table: CountTable, deltas: Deltas): Promise<void> {
  await copyChanges(context, table, deltas.changesInKeyOrder(primaryKeyOrder(table)));
}

/** Copies the cells' changes into the table as rows: the key's values, then the counts. */
async function copyChanges(
  context: Pick<RebuildContext, 'copy'> & { schema: string | null },
  table: CountTable,
  changes: Iterable<{ key: readonly string[]; n: readonly number[] }>,
): Promise<void> {
  const columns = [...table.keys.map(([column]) => column), ...(table.counts ?? ['n'])];
  const rows = function* () {
    for (const { key, n } of changes) yield [...key, ...n];
  };
  await context.copy(table.name, context.schema, columns, rows());
}
