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
 *   does from 23.10 on. Against an older server `onCaughtUp` is never called.
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
 * - "Unavailable" includes deadline-exceeded and server timeouts, after which an append may in
 *   fact have been written. Event ids are kept, so retrying such an append is idempotent.
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
    try {
      const result = await this.client.appendToStream(
        streamId,
        events.map((e) => jsonEvent({ id: e.id, type: e.type, data: e.data, metadata: e.metadata })),
        { expectedRevision },
      );
      // Only reachable with a client built with throwOnAppendFailure=false.
      if (!result.success) {
        const actual = result.nextExpectedRevision < 0n ? 0 : revisionToVersion(result.nextExpectedRevision);
        throw new WrongExpectedVersionError(streamId, expected, actual);
      }
      const position =
        fromEsdbPosition(result.position) ?? (await this.positionOfRevision(streamId, result.nextExpectedRevision));
      return { nextExpectedVersion: revisionToVersion(result.nextExpectedRevision), position };
    } catch (error) {
      throw mapEventStoreDbError(error, { streamId, expected });
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
type Queued = RecordedEvent | typeof CAUGHT_UP;

/**
 * Pulls from the client's subscription stream into a bounded queue and hands the queue to
 * `onEvents` one batch at a time: whatever arrived while a handler ran becomes the next batch.
 * `maxCount` caps a batch (and the queue). Back-pressure: nothing more is read from the stream
 * while the queue is full, so gRPC flow control slows the server down.
 *
 * `caughtUp` is an out-of-band event on the stream object, emitted when the server's message is
 * transformed, which can be before the events ahead of it have been read from the stream's
 * buffer. It is therefore queued as a marker behind those events, so `onCaughtUp` runs only
 * after they were handled.
 */
class EventStoreDbAllSubscription implements Subscription {
  private readonly source: AllStreamSubscription;
  private readonly queue: Queued[] = [];
  private readonly batchSize: number;
  /** Items read from the source so far; markers wait for a count to be reached. */
  private itemsRead = 0;
  private readonly caughtUpAfter: number[] = [];
  private closed = false;
  private failure: Error | undefined;
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly done: Promise<void>;

  constructor(
    client: EventStoreDBClient,
    private readonly options: SubscribeToAllOptions,
    defaultBatchSize: number,
    private readonly onFinished: () => void,
  ) {
    this.batchSize = Math.max(1, options.maxCount ?? defaultBatchSize);
    const prefixes = options.streamPrefixes;
    this.source = client.subscribeToAll({
      fromPosition: toReadPosition(options.after),
      filter: prefixes && prefixes.length > 0 ? streamNameFilter({ prefixes: [...prefixes] }) : excludeSystemEvents(),
    });
    this.source.on('readable', () => this.pull());
    this.source.on('caughtUp', () => {
      const at = this.itemsRead + this.source.readableLength;
      if (at <= this.itemsRead) this.enqueueCaughtUp();
      else this.caughtUpAfter.push(at);
      this.signal();
    });
    this.source.on('error', (error: Error) => {
      this.failure ??= error;
      this.signal();
    });
    this.source.on('end', () => {
      this.ended = true;
      this.signal();
    });
    this.done = this.run()
      .catch((error: unknown) => {
        if (!this.closed) this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        this.onFinished();
        if (!this.closed) void this.stopSource();
      });
  }

  private enqueueCaughtUp(): void {
    // Several caught-up signals with nothing in between are one.
    if (this.queue.at(-1) !== CAUGHT_UP) this.queue.push(CAUGHT_UP);
  }

  private pull(): void {
    if (this.closed) return;
    while (this.queue.length < this.batchSize) {
      const resolved = this.source.read() as AllStreamResolvedEvent | null;
      if (resolved === null) break;
      this.itemsRead++;
      this.accept(resolved);
      while (this.caughtUpAfter.length > 0 && this.caughtUpAfter[0] <= this.itemsRead) {
        this.caughtUpAfter.shift();
        this.enqueueCaughtUp();
      }
    }
    this.signal();
  }

  private accept(resolved: AllStreamResolvedEvent): void {
    const event = resolved.event;
    if (!event) return;
    if (isSystemEvent(event.streamId, event.type) || !matchesPrefixes(event.streamId, this.options.streamPrefixes)) return;
    const recorded = toRecordedEvent(event);
    const after = this.options.after;
    if (after && !isStartOfLog(after) && comparePositions(recorded.position, after) <= 0) return;
    this.queue.push(recorded);
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.failure) throw mapEventStoreDbError(this.failure);
      if (this.queue.length === 0) {
        if (this.ended) throw new EventStoreUnavailableError('EventStoreDB ended the subscription');
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const batch: RecordedEvent[] = [];
      while (this.queue.length > 0 && this.queue[0] !== CAUGHT_UP && batch.length < this.batchSize) {
        batch.push(this.queue.shift() as RecordedEvent);
      }
      if (batch.length > 0) {
        await this.options.onEvents(batch);
        if (this.closed) return;
      }
      if (this.queue[0] === CAUGHT_UP) {
        this.queue.shift();
        this.options.onCaughtUp?.();
      }
      this.pull();
    }
  }

  private async stopSource(): Promise<void> {
    // unsubscribe waits for the gRPC call to exist, which never happens if connecting failed.
    await this.source.unsubscribe().catch(() => undefined);
    this.source.destroy();
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.signal();
      await this.stopSource();
    }
    await this.done;
  }
}
