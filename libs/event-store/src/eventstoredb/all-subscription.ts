/**
 * The EventStoreDB adapter's catch-up subscription to $all (`subscribeToAll`): the port's
 * batches, caught-up and fell-behind signals, and what it does when a node drops a slow reader.
 * The facts about the client and server it relies on are listed in eventstoredb-event-store.ts.
 */
import {
  EventStoreDBClient,
  TimeoutError,
  excludeSystemEvents,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
} from '@eventstore/db-client';
import {
  EventStoreUnavailableError,
  comparePositions,
  type LogPosition,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from '../event-store.port';
import { GRPC_ABORTED, isStartOfLog, isSystemEvent, mapEventStoreDbError, matchesPrefixes, toReadPosition, toRecordedEvent } from './mapping';

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
export class EventStoreDbAllSubscription implements Subscription {
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
