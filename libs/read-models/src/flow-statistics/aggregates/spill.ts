import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RebuildContext } from '@app/projection-engine';
import { Codes, primaryKeyOrder, type CountTable, type Deltas } from './delta';

/** Cells per write of a run (some 300 KiB of buffer) and per read of each run while they are merged (some 20 KiB per run: 7 MiB for 360 runs, about what a catch-up of a million dossiers should spill). */
const WRITE_CELLS = 8192;
const READ_CELLS = 512;

/**
 * A one-pass fold's changes of a count table that were too many to hold in memory, spilled by
 * the service into a scratch file of its own (in PROJECTION_SPILL_DIR, the OS's temporary directory unless set), to be
 * summed per key once at the end (rows). Each spill is a run: the cells held then, sorted in the
 * order of the table's primary key, a cell as int32s (its key's codes, then its counts: 32 to
 * 40 bytes), a cell whose changes all cancelled out left out. The sum is a k-way merge of the
 * runs: the same key comes from each run at most once and from all at the same time, so it is
 * added up as it comes, in the order the rows go into the table, with no sort or hash table
 * anywhere. Until 2026-12-05 the spills went with COPY into temporary tables of PostgreSQL, which
 * summed them with GROUP BY (bench/README.md, "The fold's spills summed by the service").
 *
 * The file is unlinked as soon as it is opened: it goes when it is closed (close), or with the
 * process, whatever ends the fold. Nothing in it is ever read by anyone else.
 */
export class SpilledCounts {
  /** The texts of the runs' key values, one code each for all runs (each Deltas has its own). */
  private readonly codes = new Codes();
  private readonly order: number[];
  private readonly keyWidth: number;
  private readonly width: number;
  /** Int32s per cell in a run. */
  private readonly record: number;
  private fd: number | undefined;
  private readonly runs: Run[] = [];
  /** Bytes written. */
  private end = 0;

  /**
   * `derived.rollUp`: rows of the table that the runs leave out, summed from the others as they
   * are merged (RollUp); `derived.sumInto`: rows of another table's, summed from this one's as
   * they are merged and spilled there as a run (SumInto), before that table's are.
   */
  constructor(
    readonly table: CountTable,
    private readonly directory: string,
    private readonly derived: { rollUp?: RollUp; sumInto?: { sum: SumInto; into: SpilledCounts } } = {},
  ) {
    this.order = primaryKeyOrder(table);
    this.keyWidth = table.keys.length;
    this.width = (table.counts ?? ['n']).length;
    this.record = this.keyWidth + this.width;
  }

  /** Cells spilled, over all runs (a key spilled by several runs counts once per run). */
  get cells(): number {
    return this.runs.reduce((cells, run) => cells + run.cells, 0);
  }

  /** Spills the deltas' cells with a change as one run (its cells in key order). */
  add(deltas: Deltas): void {
    // The Deltas' codes as the spill's: the same texts compare the same in either.
    const codeOf = new Int32Array(deltas.codes.size);
    for (let code = 0; code < codeOf.length; code++) codeOf[code] = this.codes.of(deltas.codes.text(code));
    const buffer = new Int32Array(WRITE_CELLS * this.record);
    const run: Run = { at: this.end, cells: 0 };
    deltas.recordsInKeyOrder(this.order, codeOf, buffer, (cells) => {
      this.write(buffer, cells);
      run.cells += cells;
    });
    if (run.cells > 0) this.runs.push(run);
  }

  /**
   * A run made cell by cell, the cells in key order (the key's values as texts' codes of this
   * spill's: `codes`), spilled as they come: a run summed from another table's (SumInto).
   */
  runWriter(): { readonly codes: Codes; push(key: ArrayLike<number>, counts: ArrayLike<number>): void; end(): void } {
    const { keyWidth, width, record } = this;
    const buffer = new Int32Array(WRITE_CELLS * record);
    const run: Run = { at: this.end, cells: 0 };
    let cells = 0;
    const flush = () => {
      this.write(buffer, cells);
      run.cells += cells;
      cells = 0;
    };
    return {
      codes: this.codes,
      push: (key, counts) => {
        let at = cells * record;
        for (let i = 0; i < keyWidth; i++) buffer[at++] = key[i];
        for (let i = 0; i < width; i++) buffer[at++] = counts[i];
        if (++cells === WRITE_CELLS) flush();
      },
      end: () => {
        if (cells > 0) flush();
        if (run.cells > 0) this.runs.push(run);
      },
    };
  }

  private write(buffer: Int32Array, cells: number): void {
    const bytes = new Uint8Array(buffer.buffer, 0, cells * this.record * 4);
    const fd = this.file();
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, this.end + done);
    this.end += bytes.length;
  }

  private file(): number {
    if (this.fd === undefined) {
      const path = join(this.directory, `${this.table.name}-${randomUUID()}.spill`);
      this.fd = openSync(path, 'wx+', 0o600);
      unlinkSync(path);
    }
    return this.fd;
  }

  /**
   * Each key's cells summed over the runs, in the order of the table's primary key, as rows (the
   * key's values, then the counts): what applyDeltas would leave in an empty table after the
   * same deltas, a cell whose first count sums to 0 left out.
   */
  *rows(): Generator<unknown[]> {
    const { keyWidth, width } = this;
    const { rollUp: rolled, sumInto } = this.derived;
    // The buckets the roll-up sums into, as texts of the runs' codes (before they are ranked).
    const rollUp = rolled && new RollingUp(rolled, this.codes, this.order, width);
    // A run's keys are compared (and summed) as their texts' ranks, packed (PackedKeys).
    const { rank, byRank } = this.codes.textOrder();
    rollUp?.ranked(rank);
    const textOf = Array.from(byRank, (code) => this.codes.text(code));
    const summing = sumInto && new SummingInto(sumInto.sum, this.table, sumInto.into, textOf);
    const packing = new PackedKeys(this.order, rank.length);
    const words = packing.words;
    const heap = this.runs.map((run) => new RunReader(this.fd!, run, keyWidth, this.record, rank, packing));
    const before = (a: RunReader, b: RunReader): boolean => {
      for (let w = 0; w < words; w++) {
        const difference = a.packed[a.word + w] - b.packed[b.word + w];
        if (difference !== 0) return difference < 0;
      }
      return false;
    };
    const siftDown = (from: number) => {
      const moving = heap[from];
      let at = from;
      for (;;) {
        let child = 2 * at + 1;
        if (child >= heap.length) break;
        if (child + 1 < heap.length && before(heap[child + 1], heap[child])) child++;
        if (!before(heap[child], moving)) break;
        heap[at] = heap[child];
        at = child;
      }
      heap[at] = moving;
    };
    for (let at = (heap.length >> 1) - 1; at >= 0; at--) siftDown(at);
    // The key being summed: packed, and its ranks.
    const key = new Float64Array(words);
    const keyRanks = new Int32Array(keyWidth);
    const sum = new Array<number>(width).fill(0);
    let open = false;
    const row = (): unknown[] => {
      const values = new Array<unknown>(keyWidth + width);
      for (let i = 0; i < keyWidth; i++) values[i] = textOf[keyRanks[i]];
      for (let i = 0; i < width; i++) values[keyWidth + i] = sum[i];
      return values;
    };
    // A record's row (rolled up: its key's ranks, then its sums), if its first sum is not 0.
    const rowOf = (records: Int32Array, at: number): unknown[] | undefined => {
      if (records[at + keyWidth] === 0) return undefined;
      const values = new Array<unknown>(keyWidth + width);
      for (let i = 0; i < keyWidth; i++) values[i] = textOf[records[at + i]];
      for (let i = 0; i < width; i++) values[keyWidth + i] = records[at + keyWidth + i];
      return values;
    };
    function* rolledUp(group: Records[]): Generator<unknown[]> {
      for (const { buffer, count, width: record } of group) {
        for (let r = 0; r < count; r++) {
          const values = rowOf(buffer, r * record);
          if (values) yield values;
        }
      }
    }
    while (heap.length > 0) {
      const first = heap[0];
      const { buffer, at, packed, word } = first;
      let same = open;
      for (let w = 0; w < words && same; w++) same = packed[word + w] === key[w];
      if (!same) {
        if (open) {
          if (sum[0] !== 0) yield row();
          if (rollUp) {
            rollUp.add(keyRanks, sum);
            // The rows rolled up follow their group's rows, before the next group's.
            if (rollUp.endsGroup(keyRanks, buffer, at)) yield* rolledUp(rollUp.group());
          }
          if (summing) {
            summing.add(keyRanks, sum);
            if (summing.endsGroup(keyRanks, buffer, at)) summing.group();
          }
        }
        for (let w = 0; w < words; w++) key[w] = packed[word + w];
        for (let i = 0; i < keyWidth; i++) keyRanks[i] = buffer[at + i];
        sum.fill(0);
        open = true;
      }
      for (let i = 0; i < width; i++) sum[i] += buffer[at + keyWidth + i];
      if (!first.next()) {
        // Its run ended: the heap's last takes its place.
        const last = heap.pop()!;
        if (last !== first) heap[0] = last;
      }
      if (heap.length > 0) siftDown(0);
    }
    if (open && sum[0] !== 0) yield row();
    if (open && rollUp) {
      rollUp.add(keyRanks, sum);
      yield* rolledUp(rollUp.group());
    }
    if (summing) {
      if (open) summing.add(keyRanks, sum);
      summing.end();
    }
  }

  /** Drops the file (at once: it was unlinked when opened). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.runs.length = 0;
    this.end = 0;
  }
}

/**
 * Rows of a count table that are sums of its other rows, left out of a fold's runs and summed
 * from those as they are merged (stat_date_counts' months and years, the sums of their days: a
 * fold that held them added to three cells of each grain where it adds to one). The runs hold
 * only rows whose key column `grain` is `from`; each is also counted in the row of each grain of
 * `to` whose key column `bucket` is that grain's bucket of its own (`to`'s function of the
 * bucket's text), its other key columns the same. In the table's primary key the grain comes
 * right before the bucket, every grain of `to` sorts after `from`, and a bucket's bucket of each
 * grain never sorts before that of a bucket before it (days to their months and years): so the
 * rows of a group (the key columns before the grain) come out as their `from` rows, then each
 * grain's in key order, summed from the days of one bucket after the other.
 */
export interface RollUp {
  readonly grain: number;
  readonly bucket: number;
  readonly from: string;
  readonly to: ReadonlyArray<readonly [grain: string, bucketOf: (bucket: string) => string]>;
}

/** A date's text, as the buckets' are. */
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Cells summed per key of some key columns (`columns`: the indexes of a row's, each rank below
 * `radix`), their ranks packed into one number: the rows of a roll-up's bucket, or of a group
 * summed into another table, a small table of the rows of one group or bucket at a time. A cell's
 * sums lie in one array (`counts.length` a cell), by the cell's place in the order it was made.
 */
class PackedSums {
  private readonly cells = new Map<number, number>();
  private sums: Float64Array;
  private readonly ranks: Int32Array;

  /** `counts`: the row's count columns summed, in the order of the sums'. */
  constructor(
    private readonly columns: readonly number[],
    private readonly radix: number,
    private readonly counts: readonly number[],
  ) {
    if (radix ** columns.length > Number.MAX_SAFE_INTEGER) throw new Error('Key columns summed per group do not pack into one number');
    this.ranks = new Int32Array(columns.length);
    this.sums = new Float64Array(1024 * counts.length);
  }

  /** Adds a row's counts (`sum`, by count column) to the cell of its key's columns (`key`: ranks by key column). */
  add(key: ArrayLike<number>, sum: ArrayLike<number>): void {
    const { columns, radix, counts, cells } = this;
    let packed = 0;
    for (const column of columns) packed = packed * radix + key[column];
    let cell = cells.get(packed);
    if (cell === undefined) {
      cell = cells.size;
      cells.set(packed, cell);
      if ((cell + 1) * counts.length > this.sums.length) {
        const grown = new Float64Array(this.sums.length * 2);
        grown.set(this.sums);
        this.sums = grown;
      }
      this.sums.fill(0, cell * counts.length, (cell + 1) * counts.length);
    }
    const at = cell * counts.length;
    for (let i = 0; i < counts.length; i++) this.sums[at + i] += sum[counts[i]];
  }

  /** Each cell in the order of its columns' ranks (`ranks`, a view reused, by `columns`' order), its sums in `sums` from `at`; none held after. */
  drain(each: (ranks: Int32Array, sums: Float64Array, at: number) => void): void {
    const { cells, ranks, radix, counts } = this;
    if (cells.size === 0) return;
    for (const packed of Float64Array.from(cells.keys()).sort()) {
      let left = packed;
      for (let i = ranks.length - 1; i >= 0; i--) {
        const digit = left % radix;
        ranks[i] = digit;
        left = (left - digit) / radix;
      }
      each(ranks, this.sums, cells.get(packed)! * counts.length);
    }
    cells.clear();
  }
}

/** Whether the row at `at` of `next` (a run's buffer of key ranks) differs from `key` in any of `columns`. */
const differs = (columns: readonly number[], key: Int32Array, next: Int32Array, at: number): boolean => {
  for (const column of columns) if (next[at + column] !== key[column]) return true;
  return false;
};

/** A grain of a RollUp being summed: its rank, each rank's bucket's rank of that grain, the bucket being summed, and the group's rows done. */
interface GrainSums {
  readonly grain: number;
  readonly of: Int32Array;
  bucket: number;
  readonly sums: PackedSums;
  readonly done: Records;
}

/** Rows as records of int32s one after the other (a key's ranks, then its sums), in a buffer grown as they come. */
class Records {
  buffer: Int32Array;
  count = 0;

  constructor(readonly width: number) {
    this.buffer = new Int32Array(1024 * width);
  }

  /** Where the next record goes (written by the caller). */
  next(): number {
    if ((this.count + 1) * this.width > this.buffer.length) {
      const grown = new Int32Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    return this.count++ * this.width;
  }
}

/**
 * A RollUp as SpilledCounts.rows applies it, on the runs' ranks: each merged `from` row added to
 * its bucket of each grain (PackedSums, by the key's columns after the bucket), a bucket's cells
 * taken once the rows move past it, kept as rows until the group's end (group).
 */
class RollingUp {
  /** The key columns in the primary key's order before the grain (the group), and after the bucket. */
  private readonly groupColumns: number[];
  private readonly rest: number[];
  private grains: GrainSums[] = [];
  private fromRank = -1;
  /** The group's key columns of the rows being added. */
  private readonly groupKey: Int32Array;

  /** Adds to `codes` (before they are ranked) the texts of the buckets and grains rows roll up into. */
  constructor(
    private readonly rollUp: RollUp,
    private readonly codes: Codes,
    order: readonly number[],
    private readonly width: number,
  ) {
    const at = order.indexOf(rollUp.grain);
    if (order[at + 1] !== rollUp.bucket) throw new Error("A roll-up's bucket must follow its grain in the primary key");
    this.groupColumns = order.slice(0, at);
    this.rest = order.slice(at + 2);
    this.groupKey = new Int32Array(order.length);
    for (let code = 0, known = codes.size; code < known; code++) {
      const text = codes.text(code);
      if (DATE.test(text)) for (const [, bucketOf] of rollUp.to) codes.of(bucketOf(text));
    }
    for (const [grain] of rollUp.to) codes.of(grain);
    codes.of(rollUp.from);
  }

  /** Takes the ranks of the runs' texts (Codes.textOrder's). */
  ranked(rank: Int32Array): void {
    const { codes, rollUp } = this;
    const counts = Array.from({ length: this.width }, (_, i) => i);
    this.fromRank = rank[codes.of(rollUp.from)];
    this.grains = rollUp.to
      .map(([grain, bucketOf]): GrainSums => {
        const of = new Int32Array(rank.length).fill(-1);
        for (let code = 0; code < codes.size; code++) {
          const text = codes.text(code);
          if (DATE.test(text)) of[rank[code]] = rank[codes.of(bucketOf(text))];
        }
        return { grain: rank[codes.of(grain)], of, bucket: -1, sums: new PackedSums(this.rest, rank.length, counts), done: new Records(this.groupKey.length + this.width) };
      })
      .sort((a, b) => a.grain - b.grain);
    if (this.grains.some(({ grain }) => grain <= this.fromRank)) throw new Error("A roll-up's grains must sort after the one it sums");
  }

  /** Adds a merged row (its key's ranks, its sums, a cell whose sums are 0 too) to its buckets' cells. */
  add(key: Int32Array, sum: readonly number[]): void {
    const { rollUp, groupKey } = this;
    if (this.grains[0].bucket === -1) for (const grain of this.grains) grain.done.count = 0;
    if (key[rollUp.grain] !== this.fromRank) throw new Error(`A spilled row of another grain than ${rollUp.from}, which a roll-up sums`);
    for (const column of this.groupColumns) groupKey[column] = key[column];
    for (const grain of this.grains) {
      const bucket = grain.of[key[rollUp.bucket]];
      if (bucket !== grain.bucket) {
        this.close(grain);
        grain.bucket = bucket;
      }
      grain.sums.add(key, sum);
    }
  }

  /** Whether the row at `at` of `next` (a run's buffer of key ranks) is of another group than `key`. */
  endsGroup(key: Int32Array, next: Int32Array, at: number): boolean {
    return differs(this.groupColumns, key, next, at);
  }

  /** The rows rolled up of the group added, in key order, each grain's records (its key's ranks, then its sums); emptied at the next add. */
  group(): Records[] {
    for (const grain of this.grains) {
      this.close(grain);
      grain.bucket = -1;
    }
    return this.grains.map(({ done }) => done);
  }

  /** The bucket's cells, as records in key order, into `done`. */
  private close(grain: GrainSums): void {
    const { rollUp, rest, groupKey, groupColumns, width } = this;
    const { done } = grain;
    grain.sums.drain((ranks, sums, from) => {
      const at = done.next();
      const record = done.buffer;
      for (const column of groupColumns) record[at + column] = groupKey[column];
      record[at + rollUp.grain] = grain.grain;
      record[at + rollUp.bucket] = grain.bucket;
      for (let i = 0; i < rest.length; i++) record[at + rest[i]] = ranks[i];
      for (let i = 0; i < width; i++) record[at + groupKey.length + i] = sums[from + i];
    });
  }
}

/**
 * Rows of another count table that are sums of a table's rows over one of its key columns
 * (`drop`), the other key columns the same (the other table's key columns, in its primary key's
 * order, are this one's less `drop`, in the same order), its count columns those of `counts`
 * (this table's): summed from this table's rows as they are merged, and spilled into the other's
 * as a run (stat_flow_counts' rows at the levels kept per day, the sums of their days'
 * stat_flow_days rows: a fold that held them added to a cell of each interval kind and level more
 * for each event). In this table's primary key the rows of one group (the key columns before
 * `drop`) come together, so they are summed one group at a time.
 */
export interface SumInto {
  readonly drop: string;
  readonly counts: readonly string[];
}

/** A SumInto as SpilledCounts.rows applies it: each group's rows summed (PackedSums, by the key's columns after `drop`), then spilled into the other table's run in its key order. */
class SummingInto {
  private readonly groupColumns: number[];
  private readonly sums: PackedSums;
  private readonly run: ReturnType<SpilledCounts['runWriter']>;
  /** The other table's key columns, as this one's; and each rank's code in the other table's spill. */
  private readonly columns: number[];
  private readonly codeOf: Int32Array;
  private readonly groupKey: Int32Array;
  private readonly rest: number[];
  private readonly width: number;

  constructor(sum: SumInto, table: CountTable, into: SpilledCounts, textOf: readonly string[]) {
    const order = primaryKeyOrder(table);
    const names = table.keys.map(([column]) => column);
    const at = order.indexOf(names.indexOf(sum.drop));
    this.groupColumns = order.slice(0, at);
    this.rest = order.slice(at + 1);
    const kept = [...this.groupColumns, ...this.rest];
    this.columns = into.table.keys.map(([column]) => names.indexOf(column));
    const intoOrder = primaryKeyOrder(into.table).map((column) => this.columns[column]);
    if (intoOrder.length !== kept.length || intoOrder.some((column, i) => column !== kept[i])) throw new Error(`${into.table.name}'s key is not ${table.name}'s less ${sum.drop}`);
    const counts = table.counts ?? ['n'];
    this.width = sum.counts.length;
    this.sums = new PackedSums(this.rest, textOf.length, sum.counts.map((count) => counts.indexOf(count)));
    this.run = into.runWriter();
    this.codeOf = Int32Array.from(textOf, (text) => this.run.codes.of(text));
    this.groupKey = new Int32Array(names.length);
  }

  /** Adds a merged row (its key's ranks, its sums) to its group's cells. */
  add(key: Int32Array, sum: readonly number[]): void {
    for (const column of this.groupColumns) this.groupKey[column] = key[column];
    this.sums.add(key, sum);
  }

  endsGroup(key: Int32Array, next: Int32Array, at: number): boolean {
    return differs(this.groupColumns, key, next, at);
  }

  /** Spills the group's sums into the other table's run. */
  group(): void {
    const { groupKey, rest, columns, codeOf, run } = this;
    const key = new Int32Array(columns.length);
    const counts = new Array<number>(this.width);
    this.sums.drain((ranks, sums, from) => {
      for (let i = 0; i < rest.length; i++) groupKey[rest[i]] = ranks[i];
      for (let i = 0; i < columns.length; i++) key[i] = codeOf[groupKey[columns[i]]];
      for (let i = 0; i < counts.length; i++) counts[i] = sums[from + i];
      run.push(key, counts);
    });
  }

  /** Ends the other table's run (the last group's sums in it). */
  end(): void {
    this.group();
    this.run.end();
  }
}

/** A run in the file: where it starts (bytes) and its cells. */
interface Run {
  readonly at: number;
  cells: number;
}

/**
 * A key's ranks packed into a few numbers that compare as the key does, column by column in the
 * primary key's order: each number holds as many columns' ranks as fit in 52 bits (four of a few
 * thousand texts), so that comparing two cells of the merge takes one or two subtractions where
 * it took one per column.
 */
class PackedKeys {
  /** Numbers per key. */
  readonly words: number;
  private readonly perWord: number;
  private readonly radix: number;

  /** `order`: the key's columns in the primary key's order; `ranks`: how many ranks there are. */
  constructor(
    private readonly order: readonly number[],
    ranks: number,
  ) {
    const bits = ranks > 1 ? 32 - Math.clz32(ranks - 1) : 1;
    this.perWord = Math.max(1, Math.floor(52 / bits));
    this.radix = 2 ** bits;
    this.words = Math.ceil(order.length / this.perWord);
  }

  /** Packs the key whose ranks are in `ranks` from `from` into `into` from `at`. */
  pack(ranks: Int32Array, from: number, into: Float64Array, at: number): void {
    const { order, perWord, radix } = this;
    for (let w = 0, i = 0; w < this.words; w++) {
      let packed = 0;
      for (const end = Math.min(i + perWord, order.length); i < end; i++) packed = packed * radix + ranks[from + order[i]];
      into[at + w] = packed;
    }
  }
}

/**
 * Reads a run a buffer at a time, its keys' codes turned into ranks (and packed: PackedKeys);
 * `buffer` at `at` is the cell it is at, `packed` at `word` its key packed.
 */
class RunReader {
  readonly buffer: Int32Array;
  readonly packed: Float64Array;
  at = 0;
  word = 0;
  private read = 0;
  private loaded = 0;

  constructor(
    private readonly fd: number,
    private readonly run: Run,
    private readonly keyWidth: number,
    private readonly record: number,
    private readonly rank: Int32Array,
    private readonly packing: PackedKeys,
  ) {
    const cells = Math.min(READ_CELLS, run.cells);
    this.buffer = new Int32Array(cells * record);
    this.packed = new Float64Array(cells * packing.words);
    this.load();
  }

  /** Moves to the next cell; false at the run's end. */
  next(): boolean {
    this.at += this.record;
    this.word += this.packing.words;
    if (this.at < this.loaded * this.record) return true;
    if (this.read === this.run.cells) return false;
    this.load();
    return true;
  }

  private load(): void {
    const { record, keyWidth, buffer, rank, packing, packed } = this;
    const cells = Math.min(READ_CELLS, this.run.cells - this.read);
    const bytes = new Uint8Array(buffer.buffer, 0, cells * record * 4);
    const from = this.run.at + this.read * record * 4;
    for (let done = 0; done < bytes.length; ) {
      const got = readSync(this.fd, bytes, done, bytes.length - done, from + done);
      if (got === 0) throw new Error(`A spill file of the flow statistics ended before its run did (${from + done} bytes)`);
      done += got;
    }
    for (let cell = 0; cell < cells; cell++) {
      const base = cell * record;
      for (let i = 0; i < keyWidth; i++) buffer[base + i] = rank[buffer[base + i]];
      packing.pack(buffer, base, packed, cell * packing.words);
    }
    this.read += cells;
    this.loaded = cells;
    this.at = 0;
    this.word = 0;
  }
}

/** Rows of a table's sums between two checks whether the fold must stop (some 0.1 to 0.5 s of the COPY). */
const ROWS_PER_CHECK = 50_000;

/** The rows, asking `carryOn` before the first and every ROWS_PER_CHECK after: a throw ends the COPY they go into (CopyFail), and its transaction with it. */
function* heeding<T>(rows: Iterable<T>, carryOn: () => void): Generator<T> {
  let count = 0;
  for (const row of rows) {
    if (count++ % ROWS_PER_CHECK === 0) carryOn();
    yield row;
  }
}

/**
 * Writes into the table in `context.schema`, empty, the spilled cells summed per key
 * (SpilledCounts.rows), with COPY, in key order; in a rebuild's copy without its primary key,
 * which the rebuild builds after, from rows already in its order (RebuildContext.keyAfterRows).
 * A stop asked for (context.carryOn) ends the COPY within ROWS_PER_CHECK rows: a million
 * dossiers' sums take tens of seconds.
 */
export async function writeSpilled(context: Pick<RebuildContext, 'schema' | 'copy' | 'carryOn' | 'keyAfterRows'>, spilled: SpilledCounts): Promise<void> {
  const { table } = spilled;
  await context.keyAfterRows(table.name);
  await context.copy(table.name, context.schema, [...table.keys.map(([column]) => column), ...(table.counts ?? ['n'])], heeding(spilled.rows(), context.carryOn));
}
