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
  /** textOrder's answer, until a text is added. */
  private ordered: TextOrder | undefined;

  of(text: string): number {
    let code = this.byText.get(text);
    if (code === undefined) {
      code = this.texts.length;
      this.texts.push(text);
      this.byText.set(text, code);
      this.ordered = undefined;
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

  /**
   * The codes in the order of their texts (compareTexts): `rank[code]` is the code's place among
   * them, `byRank[rank]` the code in that place. Sorted once for all the sorts and merges that
   * compare the keys by their ranks (a few thousand texts), again only after a text is added.
   */
  textOrder(): TextOrder {
    if (!this.ordered) {
      const byRank = Int32Array.from(this.texts.keys()).sort((a, b) => compareTexts(this.texts[a], this.texts[b]));
      const rank = new Int32Array(byRank.length);
      for (let at = 0; at < byRank.length; at++) rank[byRank[at]] = at;
      this.ordered = { rank, byRank };
    }
    return this.ordered;
  }
}

/** The codes of a Codes in the order of their texts (Codes.textOrder). */
export interface TextOrder {
  readonly rank: Int32Array;
  readonly byRank: Int32Array;
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

  /**
   * The slots of the cells held in the order of their keys (changesInKeyOrder), cells of equal
   * keys (in the columns of `order`) in the order of their slots. The keys' ranks are packed into
   * 64-bit integers that sort as the keys do, by the engine's own numeric sort (sortedByColumns):
   * no comparator is called. Until 2026-12-05 a sort that called one per comparison, a tenth of
   * the flow statistics' rebuild (bench/README.md, "The fold's write side: no comparator, COPY
   * text as bytes").
   */
  slotsInKeyOrder(order: readonly number[]): Int32Array {
    const { keyWidth, keys } = this;
    const { rank } = this.codes.textOrder();
    const held = this.cells;
    // The cells in the order of their slots, and the ranks of their keys' texts, column after
    // column of `order` (a cell at the same place in each).
    const slots = new Int32Array(held);
    const ranks = new Int32Array(order.length * held);
    let cell = 0;
    for (let slot = 0; slot < this.capacity; slot++) {
      const base = slot * keyWidth;
      if (keys[base] === EMPTY) continue;
      for (let o = 0; o < order.length; o++) ranks[o * held + cell] = rank[keys[base + order[o]]];
      slots[cell++] = slot;
    }
    const sorted = sortedByColumns(ranks, order.length, held, rank.length);
    for (let at = 0; at < held; at++) sorted[at] = slots[sorted[at]];
    return sorted;
  }

  /**
   * The cells with a change in key order (slotsInKeyOrder) as records of int32s, one after the
   * other in `into`: the key's codes as `codeOf` maps them, then the counts. `full(cells)` takes
   * the records each time `into` is full, and the rest at the end. Read straight from the arrays,
   * as changeAt: a spill writes millions of cells.
   */
  recordsInKeyOrder(order: readonly number[], codeOf: Int32Array, into: Int32Array, full: (cells: number) => void): void {
    const { keyWidth, width, keys, counts } = this;
    const perRecord = keyWidth + width;
    const fits = Math.floor(into.length / perRecord);
    let cells = 0;
    for (const slot of this.slotsInKeyOrder(order)) {
      const from = slot * width;
      let changed = false;
      for (let i = 0; i < width && !changed; i++) changed = counts[from + i] !== 0;
      if (!changed) continue;
      let at = cells * perRecord;
      const base = slot * keyWidth;
      for (let i = 0; i < keyWidth; i++) into[at++] = codeOf[keys[base + i]];
      for (let i = 0; i < width; i++) into[at++] = counts[from + i];
      if (++cells === fits) {
        full(cells);
        cells = 0;
      }
    }
    if (cells > 0) full(cells);
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

/** Where the low 32 bits of a 64-bit integer lie among its two halves (the platform's byte order). */
const LOW_HALF = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1 ? 0 : 1;

/**
 * The places 0 to cells - 1 sorted by their rows of `ranks` (`columns` columns of `cells` ranks
 * each, every rank below `ranks`), column by column, rows alike in the order of their places.
 * Each column's ranks are first made dense (0 to its distinct values - 1, in the same order),
 * so that the columns of a row fit in few bits; the columns are packed, as many as fit, into a
 * 64-bit integer above the row's place, and those integers sorted as numbers (BigUint64Array's
 * sort: no comparator), from the last group of columns to the first, each sort keeping the
 * order of the one before among rows alike in its columns (their places, the low bits, say it).
 * A fold's keys (six or seven columns of a few thousand texts, 200,000 cells) take one or two sorts.
 */
function sortedByColumns(ranks: Int32Array, columns: number, cells: number, rankCount: number): Int32Array {
  let sorted = new Int32Array(cells);
  for (let at = 0; at < cells; at++) sorted[at] = at;
  if (cells < 2) return sorted;
  const bits = denseRanks(ranks, columns, cells, rankCount);
  const scales = bits.map((n) => 2 ** n);
  const placeBits = 32 - Math.clz32(cells - 1);
  const places = 2 ** placeBits;
  // The key's bits above the place: 64 in all, 53 at most (exact in a number).
  const room = Math.min(64 - placeBits, 53);
  const lowKeys = 2 ** (32 - placeBits);
  const groups: Array<[from: number, to: number]> = [];
  for (let from = 0; from < columns; ) {
    let to = from;
    for (let used = 0; to < columns && used + bits[to] <= room; to++) used += bits[to];
    groups.push([from, to]);
    from = to;
  }
  const packed = new BigUint64Array(cells);
  const halves = new Uint32Array(packed.buffer);
  let next = new Int32Array(cells);
  for (let g = groups.length - 1; g >= 0; g--) {
    const [from, to] = groups[g];
    let width = 0;
    for (let o = from; o < to; o++) width += bits[o];
    // Every row alike in these columns: the order stays.
    if (width === 0) continue;
    for (let at = 0; at < cells; at++) {
      const row = sorted[at];
      let key = 0;
      for (let o = from; o < to; o++) key = key * scales[o] + ranks[o * cells + row];
      const high = Math.floor(key / lowKeys);
      halves[2 * at + LOW_HALF] = (key - high * lowKeys) * places + at;
      halves[2 * at + 1 - LOW_HALF] = high;
    }
    packed.sort();
    for (let at = 0; at < cells; at++) next[at] = sorted[halves[2 * at + LOW_HALF] % places];
    [sorted, next] = [next, sorted];
  }
  return sorted;
}

/** Makes each column's ranks dense (0 to its distinct values - 1, in the same order), in place; the bits each column's then take. */
function denseRanks(ranks: Int32Array, columns: number, cells: number, rankCount: number): number[] {
  const dense = new Int32Array(rankCount);
  const bits: number[] = [];
  for (let o = 0; o < columns; o++) {
    const from = o * cells;
    dense.fill(0);
    for (let at = 0; at < cells; at++) dense[ranks[from + at]] = 1;
    let distinct = 0;
    for (let r = 0; r < rankCount; r++) if (dense[r] === 1) dense[r] = distinct++;
    for (let at = 0; at < cells; at++) ranks[from + at] = dense[ranks[from + at]];
    bits.push(distinct > 1 ? 32 - Math.clz32(distinct - 1) : 0);
  }
  return bits;
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
