import { hasUnstorableCharacter, unstorableTextPath } from '@app/platform';

/**
 * The one event-store port. Both adapters (PostgreSQL, EventStoreDB) implement it and pass the
 * same contract suite (`contract/event-store.contract.ts`).
 *
 * Stream versions are 1-based and dense: the first event of a stream has version 1, so
 * "the stream is at version n" means it holds n events. (EventStoreDB's revisions are 0-based;
 * its adapter translates.)
 */

/**
 * A position in the global log, ordered by commit then prepare. EventStoreDB: the commit and
 * prepare positions of its transaction file. PostgreSQL: the appending transaction's id (shared by
 * the events of one append) and the event's own sequence number (docs/architecture.md).
 */
export interface LogPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export const START_OF_LOG: LogPosition = Object.freeze({ commit: 0n, prepare: 0n });

export function comparePositions(a: LogPosition, b: LogPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/**
 * What the writer believes about the stream:
 * - a number n >= 1: the stream holds exactly n events;
 * - 'no_stream' (same as 0): the stream does not exist yet;
 * - 'stream_exists': it holds at least one event;
 * - 'any': no check.
 */
export type ExpectedVersion = number | 'any' | 'no_stream' | 'stream_exists';

export type JsonObject = { [key: string]: unknown };

export interface EventToAppend {
  /** UUID. Kept by the store; appending the same ids again at the same place is a no-op. */
  readonly id: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
}

export interface RecordedEvent {
  readonly id: string;
  readonly streamId: string;
  /** 1-based, dense within the stream. */
  readonly version: number;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly position: LogPosition;
  /** When the store committed it. */
  readonly createdAt: Date;
}

export interface AppendResult {
  /** Version of the stream after the append (= version of the last appended event). */
  readonly nextExpectedVersion: number;
  readonly position: LogPosition;
}

export interface ReadStreamOptions {
  /** First version to return (inclusive, 1-based). Default 1. */
  readonly fromVersion?: number;
  readonly maxCount?: number;
}

/**
 * A statement written in the same transaction as a read of one stream, as the PostgreSQL store
 * allows (readStreamWith): the access log's record of who read it. Its SQL is a data-modifying
 * statement (INSERT … SELECT …) that selects its rows `FROM stream_found`: one row when the stream
 * has events, none when it does not, so nothing is written for a stream that is not there.
 * Parameters are $1…$n.
 */
export interface StatementWithRead {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/**
 * A query answered in the same statement as a read of one stream, as the PostgreSQL store allows
 * (readStreamWith): what the reader needs next besides the events (the dossier's key, for a
 * dossier read), one round trip fewer. Its SQL is a SELECT; `parameter(n)` names its n-th
 * parameter in the combined statement. Its rows come back as JSON objects (so a bytea column is
 * best selected as text, e.g. base64).
 */
export interface QueryWithRead {
  readonly sql: (parameter: (n: number) => string) => string;
  readonly parameters: readonly unknown[];
}

/** What readStreamWith read: the stream's events, and the rows of its QueryWithRead (none when the stream has no events, or none was asked). */
export interface StreamReadWith {
  readonly events: RecordedEvent[];
  readonly alongside: ReadonlyArray<Record<string, unknown>>;
}

/**
 * A statement written in the same statement and transaction as an append, as the PostgreSQL
 * store allows (appendWith), only when the append succeeds: the kept answer of the command that
 * appended (its Idempotency-Key's). Its SQL is a data-modifying statement that selects its rows
 * `FROM appended_ok`, a row with the stream's `stream_version` after the append when it was
 * appended or recognised as already appended, none after a conflict. It must not write before
 * it has that row: the append is the first write of its transaction. Parameters are $1…$n.
 */
export interface StatementWithAppend {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Default: start of the log. */
  readonly after?: LogPosition;
  readonly maxCount?: number;
  /** Only streams whose id starts with one of these prefixes. */
  readonly streamPrefixes?: readonly string[];
}

export interface CountAllOptions {
  /** Exclusive: events strictly after this position. Default: start of the log. */
  readonly after?: LogPosition;
  /** Only streams whose id starts with one of these prefixes. */
  readonly streamPrefixes?: readonly string[];
  /** Counting stops here, in log order: the answer is at most this. */
  readonly upTo: number;
}

/** What countAll counted. */
export interface LogCount {
  /** Committed events after the position in the streams asked for, at most `upTo`. */
  readonly events: number;
  /** When the oldest of the counted events was committed; null when none was counted. */
  readonly oldestCreatedAt: Date | null;
}

export interface Subscription {
  /** Stops following; resolves once no handler call is running. */
  close(): Promise<void>;
}

export interface SubscribeToAllOptions extends ReadAllOptions {
  /** Called with events in log order; the next batch waits until the promise settles. */
  readonly onEvents: (events: readonly RecordedEvent[]) => Promise<void>;
  /** Called once when the subscription stops because of an error (not after close()). */
  readonly onError?: (error: Error) => void;
  /** Called each time the subscriber has caught up with the head of the log. */
  readonly onCaughtUp?: () => void;
  /**
   * Called when a live subscriber fell behind and catches up again from where it was (the store
   * says so, or dropped the slow subscriber and the adapter followed again); `onCaughtUp` follows
   * once it is back at the head. Stores that never say so never call it.
   */
  readonly onFellBehind?: () => void;
}

export interface EventStore {
  /** Atomic: all events or none. Throws WrongExpectedVersionError on a concurrency conflict. */
  append(streamId: string, events: readonly EventToAppend[], expected: ExpectedVersion): Promise<AppendResult>;
  /**
   * append, and `statement` written in the same statement and transaction when it succeeds, one
   * round trip (see StatementWithAppend). Only stores whose log lives in the service's PostgreSQL have it.
   */
  appendWith?(streamId: string, events: readonly EventToAppend[], expected: ExpectedVersion, statement: StatementWithAppend): Promise<AppendResult>;
  /** Events of one stream in order; an empty array for a stream that does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * readStream, and `statement` written in the same statement and transaction, one round trip
   * (see StatementWithRead), with `alongside` read in it too (QueryWithRead). Only stores whose
   * log lives in the service's PostgreSQL have it.
   */
  readStreamWith?(streamId: string, statement: StatementWithRead, alongside?: QueryWithRead): Promise<StreamReadWith>;
  /**
   * Committed events after a position, in log order, never skipping a later-committing one: every
   * event committed before the call, up to `maxCount`.
   */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * How many committed events lie after a position (in log order, up to `upTo`), and how old the
   * oldest of them is, without reading them out: a projection's lag, asked by every health check.
   * Unlike readAll it does not wait for appends in progress below committed events: those
   * committed events count, since the reader has yet to apply them.
   */
  countAll(options: CountAllOptions): Promise<LogCount>;
  /** Catches up from a position, then follows new events as they are committed. */
  subscribeToAll(options: SubscribeToAllOptions): Subscription;
  /** Position of the last committed event (START_OF_LOG when empty). */
  headPosition(): Promise<LogPosition>;
  /** Throws EventStoreUnavailableError when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    /** Current version, when the store tells it (0: no stream). */
    readonly actual: number | undefined,
  ) {
    super(`Stream ${streamId}: expected version ${String(expected)}, actual ${actual ?? 'unknown'}`);
  }
}

/**
 * The store could not be reached or did not answer in time. For an append, nothing was written,
 * or the store did not confirm it: appending the same events (same ids, same expectation) again
 * is safe either way, they are never written twice.
 */
export class EventStoreUnavailableError extends Error {
  override readonly name = 'EventStoreUnavailableError';
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
  }
}

/**
 * An append re-used event ids that the store already holds, but not as the same events at the
 * same place: neither a clean retry nor a new append.
 */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  constructor(readonly streamId: string, readonly eventId: string) {
    super(`Event id ${eventId} already exists elsewhere than at this place in ${streamId}`);
  }
}

/**
 * An append whose stream id, event type, data or metadata holds text PostgreSQL cannot store
 * (U+0000, or a UTF-16 surrogate without its pair: libs/platform/src/storable.ts). The
 * PostgreSQL store cannot hold it (its `jsonb` refuses both); EventStoreDB could, and then every
 * projection would meet it, so both adapters refuse it, nothing appended, and the two stores
 * hold the same kinds of events. Names the field, never the text.
 */
export class UnstorableEventError extends Error {
  override readonly name = 'UnstorableEventError';
  constructor(
    readonly streamId: string,
    readonly eventId: string,
    /** Where: `type`, `data.reason`, `metadata.actor`, … */
    readonly field: string,
  ) {
    super(`Event ${eventId}: ${field} holds text that cannot be stored (U+0000 or an unpaired surrogate); nothing was appended`);
  }
}

/** Throws UnstorableEventError for the first event of an append that holds text PostgreSQL cannot store. */
export function assertStorableEvents(streamId: string, events: readonly EventToAppend[]): void {
  for (const event of events) {
    const field =
      unstorableTextPath(streamId, 'stream id') ??
      unstorableTextPath(event.type, 'type') ??
      unstorableTextPath(event.data, 'data') ??
      unstorableTextPath(event.metadata, 'metadata');
    if (field) throw new UnstorableEventError(hasUnstorableCharacter(streamId) ? '(not storable)' : streamId, event.id, field);
  }
}

export const EVENT_STORE = Symbol('EVENT_STORE');
