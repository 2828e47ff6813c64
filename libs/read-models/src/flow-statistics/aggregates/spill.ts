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

  /** `rollUp`: rows of the table that the runs leave out, summed from the others as they are merged (RollUp). */
  constructor(
    readonly table: CountTable,
    private readonly directory: string,
    private readonly rollUp?: RollUp,
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
    // The buckets the roll-up sums into, as texts of the runs' codes (before they are ranked).
    const rollUp = this.rollUp && new RollingUp(this.rollUp, this.codes, this.order, width);
    // A run's keys are compared (and summed) as their texts' ranks, packed (PackedKeys).
    const { rank, byRank } = this.codes.textOrder();
    rollUp?.ranked(rank);
    const textOf = Array.from(byRank, (code) => this.codes.text(code));
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
    const row = (ranks: ArrayLike<number> = keyRanks, sums: ArrayLike<number> = sum): unknown[] => {
      const values = new Array<unknown>(keyWidth + width);
      for (let i = 0; i < keyWidth; i++) values[i] = textOf[ranks[i]];
      for (let i = 0; i < width; i++) values[keyWidth + i] = sums[i];
      return values;
    };
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
            if (rollUp.endsGroup(keyRanks, buffer, at)) for (const [ranks, sums] of rollUp.group()) if (sums[0] !== 0) yield row(ranks, sums);
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
      for (const [ranks, sums] of rollUp.group()) if (sums[0] !== 0) yield row(ranks, sums);
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

/** A grain of a RollUp being summed: its rank, each bucket's rank's bucket's, the bucket being summed (its cells by their key's columns after the bucket, packed) and the rows of the group's buckets done. */
interface GrainSums {
  readonly grain: number;
  readonly of: Int32Array;
  bucket: number;
  readonly cells: Map<number, number[]>;
  done: Array<[key: Int32Array, sums: number[]]>;
}

/**
 * A RollUp as SpilledCounts.rows applies it, on the runs' ranks: each merged `from` row added to
 * its bucket of each grain (a small table of the one bucket's cells, keyed by the key's columns
 * after the bucket, packed into one number), a bucket's cells sorted once the rows move past it,
 * and kept as rows until the group's end (group).
 */
class RollingUp {
  /** The key columns in the primary key's order before the grain (the group), and after the bucket. */
  private readonly groupColumns: number[];
  private readonly rest: number[];
  private grains: GrainSums[] = [];
  private fromRank = -1;
  private radix = 0;
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
    this.radix = rank.length;
    if (this.radix ** this.rest.length > Number.MAX_SAFE_INTEGER) throw new Error("A roll-up's key columns after its bucket do not pack into one number");
    this.fromRank = rank[codes.of(rollUp.from)];
    this.grains = rollUp.to
      .map(([grain, bucketOf]): GrainSums => {
        const of = new Int32Array(rank.length).fill(-1);
        for (let code = 0; code < codes.size; code++) {
          const text = codes.text(code);
          if (DATE.test(text)) of[rank[code]] = rank[codes.of(bucketOf(text))];
        }
        return { grain: rank[codes.of(grain)], of, bucket: -1, cells: new Map(), done: [] };
      })
      .sort((a, b) => a.grain - b.grain);
    if (this.grains.some(({ grain }) => grain <= this.fromRank)) throw new Error("A roll-up's grains must sort after the one it sums");
  }

  /** Adds a merged row (its key's ranks, its sums, a cell whose sums are 0 too) to its buckets' cells. */
  add(key: Int32Array, sum: readonly number[]): void {
    const { rollUp, rest, radix, width, groupKey } = this;
    if (key[rollUp.grain] !== this.fromRank) throw new Error(`A spilled row of another grain than ${rollUp.from}, which a roll-up sums`);
    for (const column of this.groupColumns) groupKey[column] = key[column];
    let packed = 0;
    for (const column of rest) packed = packed * radix + key[column];
    for (const grain of this.grains) {
      const bucket = grain.of[key[rollUp.bucket]];
      if (bucket !== grain.bucket) {
        this.close(grain);
        grain.bucket = bucket;
      }
      let cell = grain.cells.get(packed);
      if (!cell) grain.cells.set(packed, (cell = new Array<number>(width).fill(0)));
      for (let i = 0; i < width; i++) cell[i] += sum[i];
    }
  }

  /** Whether the row at `at` of `next` (a run's buffer of key ranks) is of another group than `key`. */
  endsGroup(key: Int32Array, next: Int32Array, at: number): boolean {
    for (const column of this.groupColumns) if (next[at + column] !== key[column]) return true;
    return false;
  }

  /** The rows rolled up of the group added (key ranks, sums), in key order; none held after. */
  *group(): Generator<[Int32Array, number[]]> {
    for (const grain of this.grains) {
      this.close(grain);
      grain.bucket = -1;
      const { done } = grain;
      grain.done = [];
      yield* done;
    }
  }

  /** The bucket's cells, as rows in key order (the packed columns after the bucket are), into `done`. */
  private close(grain: GrainSums): void {
    const { cells } = grain;
    if (cells.size === 0) return;
    const { rollUp, rest, radix, groupKey, groupColumns } = this;
    const packs = Float64Array.from(cells.keys()).sort();
    for (const packed of packs) {
      const key = new Int32Array(groupKey.length);
      for (const column of groupColumns) key[column] = groupKey[column];
      key[rollUp.grain] = grain.grain;
      key[rollUp.bucket] = grain.bucket;
      let left = packed;
      for (let i = rest.length - 1; i >= 0; i--) {
        const digit = left % radix;
        key[rest[i]] = digit;
        left = (left - digit) / radix;
      }
      grain.done.push([key, cells.get(packed)!]);
    }
    cells.clear();
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
