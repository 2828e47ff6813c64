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

  constructor(
    readonly table: CountTable,
    private readonly directory: string,
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
    // A run's keys are compared (and summed) as their texts' ranks, packed (PackedKeys).
    const { rank, byRank } = this.codes.textOrder();
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
    const row = (): unknown[] => {
      const values = new Array<unknown>(keyWidth + width);
      for (let i = 0; i < keyWidth; i++) values[i] = textOf[keyRanks[i]];
      for (let i = 0; i < width; i++) values[keyWidth + i] = sum[i];
      return values;
    };
    while (heap.length > 0) {
      const first = heap[0];
      const { buffer, at, packed, word } = first;
      let same = open;
      for (let w = 0; w < words && same; w++) same = packed[word + w] === key[w];
      if (!same) {
        if (open && sum[0] !== 0) yield row();
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
  }

  /** Drops the file (at once: it was unlinked when opened). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.runs.length = 0;
    this.end = 0;
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
