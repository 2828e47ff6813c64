/**
 * EventStoreDB adapter of the event-store port, on `@eventstore/db-client` 6.x (gRPC).
 *
 * Facts about the client and server this relies on (checked against the client 6.2.1 sources
 * and its own test suite):
 * - `readAll({ fromPosition })` is INCLUSIVE: the event at exactly that position comes back
 *   first. The port's `after` is exclusive, so events at or before `after` are dropped here.
 * - `subscribeToAll({ fromPosition })` is EXCLUSIVE: the server starts after the position.
 *   Events at or before `after` are still dropped defensively.
 * - Catch-up subscriptions emit `caughtUp` only when the server sends it, which EventStoreDB
 *   does from 23.10 on. Against an older server `onCaughtUp` is never called. From 24.2 on a
 *   node sends it again each time a live subscription that fell behind has caught up; it does
 *   not send `fell_behind` (KurrentDB: "currently not sent to clients"), which is handled anyway.
 * - Before 24.2 a node drops a live subscriber too slow for the events appended (ABORTED,
 *   "Consumer too slow ... Client resubscription required"): the subscription follows again from
 *   the last event handed over, and says so through `onFellBehind`.
 * - `RecordedEvent.created` is a `Date` (the client converts the server's ticks, to the ms).
 * - Stream reads carry $all positions only from server 22.6 on; older servers send none (or
 *   2^64-1). Such events get START_OF_LOG as position (see `positionOrStart`).
 * - Streaming reads ignore the `deadline` option (the client forces an infinite deadline), so
 *   `ping` bounds itself with its own timer.
 *
 * Semantic uncertainties and deliberate choices:
 * - The position an append returns is the one the server reports. The server is believed to
 *   report the position of the last appended event; when it reports none (an idempotent retry),
 *   the last event of the append is read back to find its position.
 * - EventStoreDB does not index event ids globally. A retry with the same ids at the same
 *   expected version is recognised by the server as already done; re-using ids elsewhere is not
 *   detected, so this adapter never throws DuplicateEventIdError: such an append is either
 *   rejected as WrongExpectedVersionError or (with 'any') may be appended again.
 * - A write the node does not confirm in time (BatchAppend: DEADLINE_EXCEEDED with a Timeout
 *   detail; Append: ABORTED) may still land afterwards. `append` sends it again with the same event
 *   ids, which the node recognises as a retry, a few times before it gives up with
 *   EventStoreUnavailableError ("unavailable" then includes "written but not confirmed").
 * - Positions sent to the node are only ever ones it gave (of events) or START: a position where
 *   no record starts is refused by 24.2+ nodes ("Trying to read from an invalid position"), which
 *   surfaces as a RangeError naming it (a checkpoint taken from another store would do that).
 * - System events (stream or type starting with '$') are never returned. `readAll` filters
 *   stream prefixes on the client (this client's readAll has no server-side filter), so a
 *   prefix-filtered read may scan many unrelated events to fill a page.
 * - `headPosition` is the position of the last non-system event, not of the raw log head: a
 *   reader that only ever sees non-system events must be able to reach it.
 * - Event data and metadata that are not JSON objects (written by other tools) are wrapped as
 *   `{ value }` (binary as base64) rather than failing every reader of $all.
 */
import {
  ANY,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  NotLeaderError,
  START,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  convertToCommandError,
  excludeSystemEvents,
  isCommandError,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type CurrentRevision,
  type Direction,
  type Position as EsdbPosition,
  type ReadPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import {
  assertStorableEvents,
  EventStoreUnavailableError,
  START_OF_LOG,
  WrongExpectedVersionError,
  comparePositions,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedVersion,
  type JsonObject,
  type LogPosition,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from '../event-store.port';

const DEFAULT_PAGE = 500;
const DEFAULT_PING_TIMEOUT_MS = 5000;
/** gRPC status codes met here (the client's errors carry the code of the status they came from). */
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_ABORTED = 10;
/** Sends of one append in all, when the node does not confirm it in time. */
const APPEND_ATTEMPTS = 3;
const APPEND_RETRY_PAUSE_MS = 50;
/** What servers before 22.6 put in positions they do not know. */
const UNKNOWN_POSITION_PART = 2n ** 64n - 1n;

// ---------------------------------------------------------------------------------------------
// Pure mappings between the port and EventStoreDB (exported for unit tests)
// ---------------------------------------------------------------------------------------------

/** Port version (1-based, count of events) of the event at an ESDB revision (0-based). */
export function revisionToVersion(revision: bigint): number {
  return Number(revision) + 1;
}

/** ESDB revision (0-based) of the event at a port version (1-based). */
export function versionToRevision(version: number): bigint {
  if (!Number.isSafeInteger(version) || version < 1) throw new RangeError(`Invalid stream version ${version}`);
  return BigInt(version - 1);
}

/** Version of a stream whose current revision the server reports ('no_stream': no events). */
export function currentRevisionToVersion(current: CurrentRevision): number {
  return current === NO_STREAM ? 0 : revisionToVersion(current);
}

export function toExpectedRevision(expected: ExpectedVersion): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      if (!Number.isSafeInteger(expected) || expected < 0) {
        throw new RangeError(`Invalid expected version ${String(expected)}`);
      }
      return expected === 0 ? NO_STREAM : versionToRevision(expected);
  }
}

/** Inverse of toExpectedRevision, for errors that reach us without the caller's expectation. */
export function fromExpectedRevision(expected: AppendExpectedRevision): ExpectedVersion {
  switch (expected) {
    case ANY:
      return 'any';
    case NO_STREAM:
      return 'no_stream';
    case STREAM_EXISTS:
      return 'stream_exists';
    default:
      return revisionToVersion(expected);
  }
}

export function toEsdbPosition(position: LogPosition): EsdbPosition {
  return { commit: position.commit, prepare: position.prepare };
}

/** undefined when the server did not know the position. */
export function fromEsdbPosition(position: EsdbPosition | undefined): LogPosition | undefined {
  if (!position) return undefined;
  if (position.commit === UNKNOWN_POSITION_PART || position.prepare === UNKNOWN_POSITION_PART) return undefined;
  if (position.commit < 0n || position.prepare < 0n) return undefined;
  return { commit: position.commit, prepare: position.prepare };
}

function isStartOfLog(position: LogPosition): boolean {
  return comparePositions(position, START_OF_LOG) === 0;
}

/** The port's exclusive `after` as an ESDB starting point (START when there is none). */
export function toReadPosition(after: LogPosition | undefined): ReadPosition {
  return after === undefined || isStartOfLog(after) ? START : toEsdbPosition(after);
}

export function isSystemEvent(streamId: string, type: string): boolean {
  return streamId.startsWith('$') || type.startsWith('$');
}

export function matchesPrefixes(streamId: string, prefixes: readonly string[] | undefined): boolean {
  return !prefixes || prefixes.length === 0 || prefixes.some((prefix) => streamId.startsWith(prefix));
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

/** The node answered that the write was not done in time: it may still land, so it is sent again with the same ids. */
export function isUnconfirmedWrite(error: unknown): boolean {
  if (error instanceof DeadlineExceededError || error instanceof TimeoutError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === GRPC_DEADLINE_EXCEEDED || code === GRPC_ABORTED;
}

/** What 24.2+ nodes answer for a read of $all from a position where no record starts. */
function isRefusedPosition(error: Error): boolean {
  return (error as { code?: unknown }).code === GRPC_INVALID_ARGUMENT && /invalid position/i.test(error.message);
}

export interface AppendContext {
  readonly streamId: string;
  readonly expected: ExpectedVersion;
}

/**
 * The one place where client errors become port errors. Conflicts become the port's
 * WrongExpectedVersionError, failures to reach a (leader) node EventStoreUnavailableError;
 * anything else is returned unchanged for the caller to rethrow.
 */
export function mapEventStoreDbError(error: unknown, context?: AppendContext): unknown {
  if (!(error instanceof Error)) return error;
  if (error instanceof WrongExpectedVersionError || error instanceof EventStoreUnavailableError) return error;
  // Some paths (e.g. the server-features probe before an append) reject with raw gRPC errors.
  const converted = isCommandError(error) ? error : convertToCommandError(error);

  if (converted instanceof EsdbWrongExpectedVersionError) {
    const actual = converted.actualVersion === undefined ? undefined : currentRevisionToVersion(converted.actualVersion);
    const expected =
      context?.expected ?? (converted.expectedVersion === undefined ? 'any' : fromExpectedRevision(converted.expectedVersion));
    return new WrongExpectedVersionError(context?.streamId ?? converted.streamName, expected, actual);
  }
  if (
    converted instanceof UnavailableError ||
    converted instanceof DeadlineExceededError ||
    converted instanceof NotLeaderError ||
    converted instanceof CancelledError ||
    converted instanceof TimeoutError
  ) {
    return new EventStoreUnavailableError(`EventStoreDB unavailable: ${converted.message}`, error);
  }
  if (isRefusedPosition(converted)) {
    return new RangeError(`EventStoreDB refused a position where no event starts (one it never gave: a checkpoint from another store?): ${converted.message}`);
  }
  const code = (error as { code?: unknown }).code;
  if ((typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) || /Failed to discover after \d+ attempts/.test(error.message)) {
    return new EventStoreUnavailableError(`EventStoreDB unavailable: ${error.message}`, error);
  }
  return converted;
}

/** The fields of a client RecordedEvent this adapter uses (JSON and binary events alike). */
interface EsdbRecordedEvent {
  readonly streamId: string;
  readonly id: string;
  readonly revision: bigint;
  readonly type: string;
  readonly created: Date;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly position?: EsdbPosition;
}

function toJsonObject(value: unknown): JsonObject {
  if (value === undefined || value === null) return {};
  if (value instanceof Uint8Array) {
    if (value.length === 0) return {};
    const text = Buffer.from(value).toString('utf8');
    try {
      return toJsonObject(JSON.parse(text));
    } catch {
      return { value: Buffer.from(value).toString('base64') };
    }
  }
  if (typeof value === 'object' && !Array.isArray(value)) return value as JsonObject;
  return { value };
}

function positionOrStart(position: EsdbPosition | undefined): LogPosition {
  return fromEsdbPosition(position) ?? START_OF_LOG;
}

export function toRecordedEvent(event: EsdbRecordedEvent): RecordedEvent {
  return {
    id: event.id,
    streamId: event.streamId,
    version: revisionToVersion(event.revision),
    type: event.type,
    data: toJsonObject(event.data),
    metadata: toJsonObject(event.metadata),
    position: positionOrStart(event.position),
    createdAt: event.created,
  };
}

// ---------------------------------------------------------------------------------------------
// The adapter
// ---------------------------------------------------------------------------------------------

export interface EventStoreDbEventStoreOptions {
  /** Raw events per read from $all for readAll/headPosition, and the default batch size. */
  readonly pageSize?: number;
  /** How long ping waits for an answer. */
  readonly pingTimeoutMs?: number;
}

export class EventStoreDbEventStore implements EventStore {
  private readonly pageSize: number;
  private readonly pingTimeoutMs: number;
  private readonly subscriptions = new Set<EventStoreDbAllSubscription>();

  constructor(
    private readonly client: EventStoreDBClient,
    options: EventStoreDbEventStoreOptions = {},
  ) {
    // readAll pages re-read the event at the cursor (inclusive start), so a page of one would
    // never make progress.
    this.pageSize = Math.max(2, options.pageSize ?? DEFAULT_PAGE);
    this.pingTimeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  }

  /** e.g. `esdb://localhost:2113?tls=false`. Connects lazily, on the first call. */
  static fromConnectionString(url: string, options: EventStoreDbEventStoreOptions = {}): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(url), options);
  }

  async append(streamId: string, events: readonly EventToAppend[], expected: ExpectedVersion): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    // EventStoreDB would take it; refused as the PostgreSQL store must, so both hold the same events.
    assertStorableEvents(streamId, events);
    const expectedRevision = toExpectedRevision(expected);
    // The same ids on every attempt: a write that landed unconfirmed is recognised as done.
    const toAppend = events.map((e) => jsonEvent({ id: e.id, type: e.type, data: e.data, metadata: e.metadata }));
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.client.appendToStream(streamId, toAppend, { expectedRevision });
        // Only reachable with a client built with throwOnAppendFailure=false.
        if (!result.success) {
          const actual = result.nextExpectedRevision < 0n ? 0 : revisionToVersion(result.nextExpectedRevision);
          throw new WrongExpectedVersionError(streamId, expected, actual);
        }
        const position =
          fromEsdbPosition(result.position) ?? (await this.positionOfRevision(streamId, result.nextExpectedRevision));
        return { nextExpectedVersion: revisionToVersion(result.nextExpectedRevision), position };
      } catch (error) {
        if (attempt < APPEND_ATTEMPTS && isUnconfirmedWrite(error)) {
          await new Promise((resolve) => setTimeout(resolve, APPEND_RETRY_PAUSE_MS * attempt));
          continue;
        }
        throw mapEventStoreDbError(error, { streamId, expected });
      }
    }
  }

  /** The server reports no position for an append it recognised as a retry; read it back. */
  private async positionOfRevision(streamId: string, revision: bigint): Promise<LogPosition> {
    // Read the call to its end: leaving a gRPC read half-consumed keeps it open, and close() waits for it.
    const read: ResolvedEvent[] = [];
    for await (const resolved of this.client.readStream(streamId, { fromRevision: revision, maxCount: 1 })) read.push(resolved);
    // Servers before 22.6 do not put positions on stream reads; the head is an upper bound.
    return fromEsdbPosition(read[0]?.event?.position) ?? this.headPosition();
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const fromVersion = Math.max(1, options.fromVersion ?? 1);
    if (options.maxCount !== undefined && options.maxCount <= 0) return [];
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, {
        fromRevision: versionToRevision(fromVersion),
        ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
      });
      for await (const resolved of read) {
        if (resolved.event) events.push(toRecordedEvent(resolved.event));
      }
      return events;
    } catch (error) {
      // A deleted (tombstoned) stream is, for the port, a stream that does not exist.
      if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) return [];
      throw mapEventStoreDbError(error);
    }
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const wanted = options.maxCount ?? this.pageSize;
    if (wanted <= 0) return [];
    const prefixes = options.streamPrefixes;
    // Without a prefix filter only interleaved system events are dropped, so a page just above
    // what is wanted usually suffices.
    const rawCount = prefixes && prefixes.length > 0 ? this.pageSize : Math.max(2, Math.min(this.pageSize, wanted + 1));
    const result: RecordedEvent[] = [];
    let cursor = options.after !== undefined && !isStartOfLog(options.after) ? options.after : undefined;
    try {
      for (;;) {
        const page = await this.readAllPage(toReadPosition(cursor), rawCount, FORWARDS);
        let advancedTo: LogPosition | undefined;
        for (const resolved of page) {
          const event = resolved.event;
          if (!event) continue;
          const position = fromEsdbPosition(event.position);
          if (!position) continue;
          if (cursor && comparePositions(position, cursor) <= 0) continue;
          advancedTo = position;
          if (isSystemEvent(event.streamId, event.type) || !matchesPrefixes(event.streamId, prefixes)) continue;
          result.push(toRecordedEvent(event));
          if (result.length >= wanted) return result;
        }
        if (page.length < rawCount || !advancedTo) return result;
        cursor = advancedTo;
      }
    } catch (error) {
      throw mapEventStoreDbError(error);
    }
  }

  private async readAllPage(from: ReadPosition, maxCount: number, direction: Direction): Promise<AllStreamResolvedEvent[]> {
    const page: AllStreamResolvedEvent[] = [];
    for await (const resolved of this.client.readAll({ fromPosition: from, maxCount, direction })) page.push(resolved);
    return page;
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    const subscription = new EventStoreDbAllSubscription(this.client, options, this.pageSize, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<LogPosition> {
    try {
      let from: ReadPosition = END;
      let cursor: LogPosition | undefined;
      for (;;) {
        const page = await this.readAllPage(from, this.pageSize, BACKWARDS);
        let movedTo: LogPosition | undefined;
        for (const resolved of page) {
          const event = resolved.event;
          const position = fromEsdbPosition(event?.position);
          if (!event || !position) continue;
          // Whether a backwards read from a position includes it is not documented; skip it.
          if (cursor && comparePositions(position, cursor) >= 0) continue;
          movedTo = position;
          if (!isSystemEvent(event.streamId, event.type)) return position;
        }
        if (page.length < this.pageSize || !movedTo) return START_OF_LOG;
        cursor = movedTo;
        from = toEsdbPosition(movedTo);
      }
    } catch (error) {
      throw mapEventStoreDbError(error);
    }
  }

  async ping(): Promise<void> {
    const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    const answered = (async () => {
      for await (const _ of read) {
        // Draining is the point: an answer, even an empty one, proves the server is there.
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new EventStoreUnavailableError(`EventStoreDB did not answer a ping within ${this.pingTimeoutMs} ms`)),
        this.pingTimeoutMs,
      );
    });
    try {
      await Promise.race([answered, timedOut]);
    } catch (error) {
      answered.catch(() => undefined);
      void read.cancel().catch(() => undefined);
      read.destroy();
      const mapped = mapEventStoreDbError(error);
      throw mapped instanceof EventStoreUnavailableError
        ? mapped
        : new EventStoreUnavailableError(`EventStoreDB unavailable: ${(error as Error).message}`, error);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Catch-up subscription
// ---------------------------------------------------------------------------------------------

const CAUGHT_UP = Symbol('caughtUp');
const FELL_BEHIND = Symbol('fellBehind');
type Marker = typeof CAUGHT_UP | typeof FELL_BEHIND;
type Queued = RecordedEvent | Marker;

/** How a node before 24.2 ends a live subscription whose reader is too slow: ABORTED, the client's TimeoutError. */
function isSlowSubscriberDrop(error: Error): boolean {
  return error instanceof TimeoutError || (error as { code?: unknown }).code === GRPC_ABORTED;
}

/**
 * Pulls from the client's subscription stream into a bounded queue and hands the queue to
 * `onEvents` one batch at a time: whatever arrived while a handler ran becomes the next batch.
 * `maxCount` caps a batch (and the queue). Back-pressure: nothing more is read from the stream
 * while the queue is full, so gRPC flow control slows the server down.
 *
 * `caughtUp` and `fellBehind` are out-of-band events on the stream object, emitted when the
 * server's message is transformed, which can be before the events ahead of it have been read
 * from the stream's buffer. They are therefore queued as markers behind those events, so
 * `onCaughtUp` / `onFellBehind` run only after they were handled.
 *
 * A node before 24.2 drops a live subscriber that reads too slowly; this one then subscribes
 * again after the last event handled (what was queued but not handed over comes again) and calls
 * `onFellBehind`. A drop before anything was handled since subscribing is a failure (onError).
 */
class EventStoreDbAllSubscription implements Subscription {
  private source: AllStreamSubscription;
  private readonly queue: Queued[] = [];
  private readonly batchSize: number;
  /** Items read from the current source so far; markers wait for a count to be reached. */
  private itemsRead = 0;
  private readonly markersAfter: Array<{ readonly at: number; readonly marker: Marker }> = [];
  /** Where the current source starts (exclusive): nothing at or before it is handed over. */
  private after: LogPosition | undefined;
  /** The last event handed to onEvents and handled. */
  private handled: LogPosition | undefined;
  private handledSinceSubscribing = false;
  private closed = false;
  private failure: Error | undefined;
  private dropped: Error | undefined;
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly done: Promise<void>;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeToAllOptions,
    defaultBatchSize: number,
    private readonly onFinished: () => void,
  ) {
    this.batchSize = Math.max(1, options.maxCount ?? defaultBatchSize);
    this.after = options.after;
    this.source = this.subscribe();
    this.done = this.run()
      .catch((error: unknown) => {
        if (!this.closed) this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        this.onFinished();
        if (!this.closed) void stopSource(this.source);
      });
  }

  private subscribe(): AllStreamSubscription {
    const prefixes = this.options.streamPrefixes;
    const source = this.client.subscribeToAll({
      fromPosition: toReadPosition(this.after),
      filter: prefixes && prefixes.length > 0 ? streamNameFilter({ prefixes: [...prefixes] }) : excludeSystemEvents(),
    });
    // A source replaced after a drop may still speak; only the current one is listened to.
    const current = () => source === this.source && !this.closed;
    source.on('readable', () => current() && this.pull());
    source.on('caughtUp', () => current() && this.mark(CAUGHT_UP));
    source.on('fellBehind', () => current() && this.mark(FELL_BEHIND));
    source.on('error', (error: Error) => {
      if (!current()) return;
      if (isSlowSubscriberDrop(error)) this.dropped ??= error;
      else this.failure ??= error;
      this.signal();
    });
    source.on('end', () => {
      if (!current()) return;
      this.ended = true;
      this.signal();
    });
    return source;
  }

  private mark(marker: Marker): void {
    const at = this.itemsRead + this.source.readableLength;
    if (at <= this.itemsRead) this.enqueueMarker(marker);
    else this.markersAfter.push({ at, marker });
    this.signal();
  }

  private enqueueMarker(marker: Marker): void {
    // The same signal several times with nothing in between is one.
    if (this.queue.at(-1) !== marker) this.queue.push(marker);
  }

  private pull(): void {
    if (this.closed) return;
    while (this.queue.length < this.batchSize) {
      const resolved = this.source.read() as AllStreamResolvedEvent | null;
      if (resolved === null) break;
      this.itemsRead++;
      this.accept(resolved);
      while (this.markersAfter.length > 0 && this.markersAfter[0].at <= this.itemsRead) {
        this.enqueueMarker((this.markersAfter.shift() as { marker: Marker }).marker);
      }
    }
    this.signal();
  }

  private accept(resolved: AllStreamResolvedEvent): void {
    const event = resolved.event;
    if (!event) return;
    if (isSystemEvent(event.streamId, event.type) || !matchesPrefixes(event.streamId, this.options.streamPrefixes)) return;
    const recorded = toRecordedEvent(event);
    const after = this.after;
    if (after && !isStartOfLog(after) && comparePositions(recorded.position, after) <= 0) return;
    this.queue.push(recorded);
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** After a drop: the same subscription again, after the last event handled. */
  private resubscribe(): void {
    const dropped = this.source;
    this.queue.length = 0;
    this.markersAfter.length = 0;
    this.itemsRead = 0;
    this.ended = false;
    this.dropped = undefined;
    this.after = this.handled ?? this.after;
    this.handledSinceSubscribing = false;
    this.source = this.subscribe();
    void stopSource(dropped);
    this.options.onFellBehind?.();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.failure) throw mapEventStoreDbError(this.failure);
      if (this.dropped) {
        if (!this.handledSinceSubscribing) throw mapEventStoreDbError(this.dropped);
        this.resubscribe();
        continue;
      }
      if (this.queue.length === 0) {
        if (this.ended) throw new EventStoreUnavailableError('EventStoreDB ended the subscription');
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const batch: RecordedEvent[] = [];
      while (this.queue.length > 0 && typeof this.queue[0] !== 'symbol' && batch.length < this.batchSize) {
        batch.push(this.queue.shift() as RecordedEvent);
      }
      if (batch.length > 0) {
        await this.options.onEvents(batch);
        if (this.closed) return;
        this.handled = batch[batch.length - 1].position;
        this.handledSinceSubscribing = true;
      }
      while (typeof this.queue[0] === 'symbol') {
        if (this.queue.shift() === CAUGHT_UP) this.options.onCaughtUp?.();
        else this.options.onFellBehind?.();
      }
      this.pull();
    }
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.signal();
      await stopSource(this.source);
    }
    await this.done;
  }
}

async function stopSource(source: AllStreamSubscription): Promise<void> {
  // unsubscribe waits for the gRPC call to exist, which never happens if connecting failed.
  await source.unsubscribe().catch(() => undefined);
  source.destroy();
}
