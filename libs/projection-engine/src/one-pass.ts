import type { DataSource } from 'typeorm';
import { connectionOf, poolOf, queriedWithCallback } from '@app/platform';
import { comparePositions, type EventStore, type LogPosition, type RecordedEvent } from '@app/event-store';
import { inTransaction, moveCheckpoint } from './apply-batch';
import { CHECKPOINT_TABLE, positionOf } from './checkpoints';
import { copyRows } from './copy';
import { READ_MODEL_SCHEMA, type Projection, type RebuildWriter } from './projection';
import { SafeFormLog } from './safe-form';
import { SharedPages } from './shared-pages';

/**
 * The checkpoint a one-pass fold writes under moved while it folded: someone else wrote to its
 * tables (a rebuild switched a fresh copy in, or another runner applied events). Nothing of the
 * fold was written; whoever continues starts from the checkpoint as it is.
 */
export class OnePassOvertakenError extends Error {
  override readonly name = 'OnePassOvertakenError';
}

export interface OnePassOptions {
  /** The checkpoint the flushes move, and the schema of the tables they write. */
  readonly checkpoint: string;
  readonly schema: string;
  /** Where the fold starts: the checkpoint's position, its tables holding exactly what it reflects. */
  readonly after: LogPosition;
  readonly batchSize: number;
  /** The bound it shares with the engine's other one-pass folds: its writer flushes when it holds more than its share. */
  readonly memory: OnePassMemory;
  /** Throws when the fold must stop (its lock lost, the service stopping): checked before each batch and each flush, and by a writer within a long flush (RebuildContext.carryOn). */
  readonly carryOn: () => void;
  /** After each folded batch: events folded so far, and the position of the last. */
  readonly onBatch?: (folded: number, position: LogPosition) => void;
}

/**
 * A one-pass writer (RebuildWriter) that can hand over what it holds (takeHeld: at once, holding
 * nothing after) for a flush that writes it as its own flush would, and whose fold does not read
 * from the tables what a flush under way writes (the flow statistics' fold reads nothing a flush
 * writes; VersionedRowsRebuild takes a row of the stretch going in from that stretch). The engine
 * then folds the next batches while PostgreSQL takes a flush in (not the last); a flush still
 * waits for the one before, and takeHeld is called only once it has committed. Others are
 * flushed with the fold waiting.
 */
export interface FoldsWhileFlushing {
  takeHeld(): Pick<RebuildWriter, 'flush'>;
}

const foldsWhileFlushing = (writer: RebuildWriter): writer is RebuildWriter & FoldsWhileFlushing =>
  typeof (writer as Partial<FoldsWhileFlushing>).takeHeld === 'function';

/**
 * The rows an engine's one-pass folds (rebuilds, catch-ups from empty tables) keep in memory
 * together (PROJECTION_MEMORY_ROWS): each fold running flushes when its writer holds more than an
 * equal share of them. A fold that starts shrinks the others' shares, which flush at their next
 * batch, so the rows held stay within the bound plus a batch per fold; a fold that ends leaves
 * the others larger shares (fewer flushes, fewer read-backs). Without it, three projections
 * catching up from empty side by side held three times the bound. The folds read the log through
 * its `pages`: folds that read the same pages of it (catch-ups from empty side by side) read each
 * once (shared-pages.ts).
 */
export class OnePassMemory {
  private folds = 0;
  readonly pages = new SharedPages();

  constructor(readonly rows: number) {}

  /** Rows a fold running now may hold. */
  get share(): number {
    return Math.max(1, Math.floor(this.rows / Math.max(1, this.folds)));
  }

  async within<T>(fold: () => Promise<T>): Promise<T> {
    this.folds++;
    try {
      return await fold();
    } finally {
      this.folds--;
    }
  }
}

/**
 * Folds a projection's events from `after` to the head of the log with its one-pass writer,
 * flushing whenever the writer holds more than its share of `memory` and once at the end. Each flush
 * writes in one transaction with the checkpoint (and the safe-form notes) it reflects, after
 * checking under the checkpoint's row lock that nobody moved it since the last flush: a crash
 * at any point leaves the tables at a flushed position, and an event is never written twice.
 * Used by a rebuild (its fresh copy, from the start) and by a runner whose projection starts
 * from empty tables (its live copy). Returns how many events were folded and where it ended.
 */
export async function foldInOnePass(
  store: Pick<EventStore, 'readAll'>,
  dataSource: DataSource,
  projection: Projection,
  writer: RebuildWriter,
  options: OnePassOptions,
): Promise<{ folded: number; position: LogPosition }> {
  return options.memory.within(() => fold(store, dataSource, projection, writer, options));
}

async function fold(
  store: Pick<EventStore, 'readAll'>,
  dataSource: DataSource,
  projection: Projection,
  writer: RebuildWriter,
  options: OnePassOptions,
): Promise<{ folded: number; position: LogPosition }> {
  let position = options.after;
  let folded = 0;
  let pending = new OnePass(dataSource, writer, options, position);
  // Through pg's callback form, as each of the fold's statements (queriedWithCallback): a page's rows die with it.
  const ahead = { schema: options.schema, query: <T>(sql: string, parameters?: unknown[]) => queriedWithCallback<T[]>(poolOf(dataSource), sql, parameters) };
  const pageAfter = (after: LogPosition) => ({ after, maxCount: options.batchSize, streamPrefixes: projection.streamPrefixes });
  const reader = options.memory.pages.reader(store, pageAfter(position));
  const read = (after: LogPosition) => {
    const page = reader.read(pageAfter(after)).then((events) => {
      writer.readAhead?.(events, ahead);
      return events;
    });
    // Awaited in turn; a page read ahead of a fold that stops is nobody's failure.
    page.catch(() => undefined);
    return page;
  };
  let next = read(position);
  // The flush under way: with a writer that folds while it flushes, awaited at the next flush (each
  // starts from the checkpoint the one before left), at the last, or when the fold ends otherwise.
  let flushing: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      const events = await next;
      if (events.length === 0) break;
      options.carryOn();
      // The next page is read while this one is folded (and flushed): the store's part of the read
      // overlaps the fold's, at the cost of one page more in memory.
      next = read(events[events.length - 1].position);
      await pending.fold(events);
      folded += events.length;
      position = events[events.length - 1].position;
      // Not at the log's last page: the fold's last flush (below) writes it, so that the checkpoint
      // reaches the head only with what the writer keeps for its last flush written too.
      // A writer that folds on while its flush goes in holds two stretches at once (the one going in
      // and the next), so it hands over at half its share: the rows held stay within the bound.
      const share = foldsWhileFlushing(writer) ? Math.max(1, Math.floor(options.memory.share / 2)) : options.memory.share;
      if (writer.size > share && (await next).length > 0) {
        // After the flush under way: a stop asked for meanwhile starts no other.
        await flushing;
        options.carryOn();
        const stretch = pending;
        pending = new OnePass(dataSource, writer, options, position);
        if (foldsWhileFlushing(writer)) {
          // What the writer holds now is the stretch's, whatever it folds meanwhile.
          flushing = stretch.flush(false, writer.takeHeld());
          flushing.catch(() => undefined);
        } else await stretch.flush();
      }
      options.onBatch?.(folded, position);
    }
    await flushing;
    options.carryOn();
  } catch (error) {
    // A flush under way commits or fails before the fold's caller sees it end.
    await flushing.catch(() => undefined);
    throw error;
  } finally {
    // The pages it read are no longer held for it, nor is anyone ahead of it held up for it.
    reader.close();
  }
  await pending.flush(true);
  return { folded, position };
}

/**
 * One stretch of a one-pass fold: the batches folded since the last flush, with their
 * safe-form notes, flushed in one transaction with the checkpoint.
 */
class OnePass {
  private readonly notes = new SafeFormLog();
  private last: RecordedEvent | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: RebuildWriter,
    private readonly options: Pick<OnePassOptions, 'checkpoint' | 'schema' | 'carryOn'>,
    /** The checkpoint's position when this stretch began. */
    private readonly from: LogPosition,
  ) {}

  async fold(events: readonly RecordedEvent[]): Promise<void> {
    await this.writer.fold(events, {
      schema: this.options.schema,
      query: <T>(sql: string, parameters?: unknown[]) => queriedWithCallback<T[]>(poolOf(this.dataSource), sql, parameters),
      storedInSafeForm: (event, fields) => this.notes.storedInSafeForm(event, fields),
      leftOut: (event, why) => this.notes.leftOut(event, why),
    });
    this.last = events[events.length - 1];
  }

  /**
   * `ending`: the fold's last flush, made even when nothing was folded since the one before (the
   * writer may hold what it writes last). `held`: what the writer held at the stretch's end
   * (FoldsWhileFlushing), if it folds on meanwhile.
   */
  async flush(ending = false, held: Pick<RebuildWriter, 'flush'> = this.writer): Promise<void> {
    const last = this.last;
    if (!last && !ending) return;
    await inTransaction(this.dataSource, async (runner) => {
      const query = <T>(sql: string, parameters?: unknown[]) => queriedWithCallback<T[]>(connectionOf(runner), sql, parameters);
      const [row] = await runner.query(`SELECT position_commit::text, position_prepare::text FROM ${CHECKPOINT_TABLE} WHERE name = $1 FOR UPDATE`, [
        this.options.checkpoint,
      ]);
      if (!row || comparePositions(positionOf(row), this.from) !== 0) {
        throw new OnePassOvertakenError(`The checkpoint ${this.options.checkpoint} moved while its one-pass fold ran; nothing of the fold was written`);
      }
      await held.flush({
        schema: this.options.schema,
        query,
        storedInSafeForm: (event, fields) => this.notes.storedInSafeForm(event, fields),
        leftOut: (event, why) => this.notes.leftOut(event, why),
        copy: (table, schema, columns, rows) => copyRows(runner, schema === null ? table : `${schema}.${table}`, columns, rows),
        last: ending,
        carryOn: this.options.carryOn,
        keyAfterRows: async (table) => {
          if (this.options.schema === READ_MODEL_SCHEMA) return false;
          const target = `${this.options.schema}.${table}`;
          const [key] = await runner.query(`SELECT conname AS name FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`, [target]);
          if (key) await runner.query(`ALTER TABLE ${target} DROP CONSTRAINT "${key.name}"`);
          return true;
        },
      });
      await this.notes.save(query, this.options.checkpoint);
      if (last) await moveCheckpoint(runner, this.options.checkpoint, last);
    });
  }
}
