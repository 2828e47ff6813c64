import type { RecordedEvent } from '@app/event-store';
import type { SafeFormNotes } from './safe-form';

/** The PostgreSQL schema live read models are in. */
export const READ_MODEL_SCHEMA = 'read_models';

/**
 * What a projection's handler may do while a batch is applied: SQL in the batch's transaction,
 * and notes on events it stored in a safe form or left out (safe-form.ts), saved with the batch.
 */
export interface ProjectionContext extends SafeFormNotes {
  /** Schema to write to: READ_MODEL_SCHEMA, or the rebuild's own while a fresh copy is built. */
  readonly schema: string;
  query<T = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<T[]>;
}

/**
 * A read model fed from the global log. Its tables live in READ_MODEL_SCHEMA (created by
 * TypeORM migrations); `apply` writes to `${context.schema}.<table>` so the same handler builds
 * the live copy and a rebuild's copy. Applying is idempotent by position anyway: the engine
 * commits the checkpoint with the changes and never hands an event twice to a committed state.
 */
export interface Projection {
  /** Stable name: checkpoint key, CLI and API argument. */
  readonly name: string;
  /** Tables it owns, in READ_MODEL_SCHEMA; a rebuild replaces all of them at once. */
  readonly tables: readonly string[];
  /** Streams it reads (prefixes of stream ids). */
  readonly streamPrefixes: readonly string[];
  /**
   * Applies events in log order, within one transaction. A value PostgreSQL cannot store goes in
   * a safe form and an event that cannot be read is left out, each noted in the context; throwing
   * stops the projection, which is for bugs, not for data.
   */
  apply(events: readonly RecordedEvent[], context: ProjectionContext): Promise<void>;
  /**
   * Optional: a one-pass writer for rebuilds, which folds the log in memory and writes its rows
   * in bulk instead of applying batch by batch. It must fold with the same rules as `apply`
   * (a spec holds the two copies equal); the engine uses it only to build a rebuild's copy.
   */
  rebuildWriter?(): RebuildWriter;
  /**
   * Optional, with a one-pass writer: the events a page of its rebuild's fold holds at most, when
   * fewer than the batch size (PROJECTION_BATCH_SIZE, which the switch-over's last stretch keeps).
   * Not a catch-up from empty's: its folds read the same pages (SharedPages), of the batch size.
   */
  readonly rebuildPageEvents?: number;
  /**
   * Optional, with a one-pass writer: whether its live tables are those of a one-pass catch-up
   * that ended before its last flush (stopped during it, or killed) and that a fresh writer can
   * finish from the checkpoint: the rest of the log folded as the catch-up would have, and at the
   * last flush what the one that ended kept for it. Otherwise the live path carries on batch by batch.
   */
  onePassToFinish?(context: Pick<ProjectionContext, 'schema' | 'query'>): Promise<boolean>;
}

/** What a one-pass writer may do when it writes: a ProjectionContext, and COPY into a table. */
export interface RebuildContext extends ProjectionContext {
  /** COPY rows (values in `columns`' order) into `${schema}.${table}`, or into a temporary table when `schema` is null. */
  copy(table: string, schema: string | null, columns: readonly string[], rows: Iterable<readonly unknown[]>): Promise<void>;
  /** Whether this flush ends the fold (the head of the log reached). A fold stopped, overtaken or failed ends without one. */
  readonly last: boolean;
  /**
   * Throws when the fold must stop (the service stopping, its lock lost), as the engine checks
   * before each batch and flush: a flush that takes long (a last one) checks it between its steps,
   * and what it wrote rolls back with it, the checkpoint left where the flush before put it.
   */
  carryOn(): void;
  /**
   * Lets rows go into an empty table of `schema` without its primary key's upkeep: in a rebuild's
   * copy, which nobody reads before its switch, drops the key, and the rebuild builds it from all
   * the rows once the fold has committed (rebuild.ts's finishingOf), cheaper for PostgreSQL than
   * keeping it up to date row by row where the rows come out of its order (bench/README.md, "Rebuilds'
   * keys built after the rows"). In the live schema (a catch-up from empty) it does nothing: the
   * key's drop would lock the queries out until the fold commits. Only for a table the fold then
   * writes with COPY alone (nothing that needs the key: an upsert, a look-up by key) until it ends,
   * or looks rows up by a scan of the whole table (a join) where it must; a duplicate row fails
   * the key's build, and the rebuild with it, the live copy untouched. Returns whether the rows go
   * in without the key (a rebuild's copy): a writer that looks its rows up by key then gathers
   * those look-ups and makes them with a scan, at its last flush or once they are many (the flow
   * statistics' erasures, FlowStatisticsRebuild).
   */
  keyAfterRows(table: string): Promise<boolean>;
}

/**
 * Builds a rebuild's copy in one pass over the log. The copy's tables start empty. The engine
 * hands it every batch of the log in order (`fold`: reads only, keeps the result in memory,
 * notes safe forms in the context as `apply` does), and calls `flush` whenever `size` (rows kept
 * in memory) exceeds the engine's bound and once at the end, in one transaction with the
 * rebuild's checkpoint and notes: what a flush writes commits with the position it reflects.
 * After a flush the writer keeps no rows; a later event of a row it wrote reads that row back.
 * It may keep what it can write at a later flush (the last at the latest) if the tables say so
 * in the meantime and, when a fold ends without its last flush, its live path mends them or a fresh
 * writer finishes the fold (onePassToFinish).
 */
export interface RebuildWriter {
  /**
   * Optional: called with each page of the log as soon as it is read, while the page before it is
   * still folded, to start the reads its fold will need (the CRT registry's dossier keys), so that
   * the fold does not wait for them. Its queries run outside any flush, as the fold's do; it
   * starts them and returns, and `fold` of the same page uses (and awaits) what they bring.
   */
  readAhead?(events: readonly RecordedEvent[], context: Pick<ProjectionContext, 'schema' | 'query'>): void;
  fold(events: readonly RecordedEvent[], context: ProjectionContext): Promise<void>;
  /**
   * What it keeps in memory, in rows of the engine's bound (PROJECTION_MEMORY_ROWS): a writer whose
   * rows cost much less than the flow statistics' kept events may count several as one.
   */
  readonly size: number;
  flush(context: RebuildContext): Promise<void>;
}

/**
 * 'standby': no instance runs it at the moment (none holds its lock: the one that did has just
 * died and another is about to take over, or no instance that runs projections is up), so its
 * read model is not kept up to date. Never stored: checkpoint rows hold the other four.
 */
export type ProjectionState = 'catching-up' | 'live' | 'stopped' | 'rebuilding' | 'standby';
