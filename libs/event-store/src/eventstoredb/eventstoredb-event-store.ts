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
 *   2^64-1). Such events get START_OF_LOG as position (see `positionOrStart` in mapping.ts).
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
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  StreamDeletedError,
  StreamNotFoundError,
  jsonEvent,
  type AllStreamResolvedEvent,
  type Direction,
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
  type CountAllOptions,
  type EventStore,
  type EventToAppend,
  type ExpectedVersion,
  type LogCount,
  type LogPosition,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from '../event-store.port';
import { EventStoreDbAllSubscription } from './all-subscription';
import {
  fromEsdbPosition,
  isStartOfLog,
  isSystemEvent,
  isUnconfirmedWrite,
  mapEventStoreDbError,
  matchesPrefixes,
  revisionToVersion,
  toEsdbPosition,
  toExpectedRevision,
  toReadPosition,
  toRecordedEvent,
  versionToRevision,
} from './mapping';

const DEFAULT_PAGE = 500;
const DEFAULT_PING_TIMEOUT_MS = 5000;
/** Sends of one append in all, when the node does not confirm it in time. */
const APPEND_ATTEMPTS = 3;
const APPEND_RETRY_PAUSE_MS = 50;

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
    const result: RecordedEvent[] = [];
    await this.walkAll(options.after, options.streamPrefixes, options.maxCount ?? this.pageSize, (event) => {
      result.push(toRecordedEvent(event));
    });
    return result;
  }

  /** The server has no count: the events are read, but none is mapped or kept. */
  async countAll(options: CountAllOptions): Promise<LogCount> {
    let events = 0;
    let oldestCreatedAt: Date | null = null;
    await this.walkAll(options.after, options.streamPrefixes, options.upTo, (event) => {
      events++;
      if (oldestCreatedAt === null || event.created < oldestCreatedAt) oldestCreatedAt = event.created;
    });
    return { events, oldestCreatedAt };
  }

  /** Visits the events after a position in the streams asked for, in log order, at most `wanted` of them. */
  private async walkAll(
    after: LogPosition | undefined,
    prefixes: readonly string[] | undefined,
    wanted: number,
    visit: (event: NonNullable<AllStreamResolvedEvent['event']>) => void,
  ): Promise<void> {
    if (wanted <= 0) return;
    // Without a prefix filter only interleaved system events are dropped, so a page just above
    // what is wanted usually suffices.
    const rawCount = prefixes && prefixes.length > 0 ? this.pageSize : Math.max(2, Math.min(this.pageSize, wanted + 1));
    let visited = 0;
    let cursor = after !== undefined && !isStartOfLog(after) ? after : undefined;
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
          visit(event);
          if (++visited >= wanted) return;
        }
        if (page.length < rawCount || !advancedTo) return;
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
