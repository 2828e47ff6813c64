/**
 * Catch-up subscriptions of the EventStoreDB test server, after KurrentDB's
 * Enumerator.AllSubscription / AllSubscriptionFiltered / StreamSubscription (26.0): catch up from
 * the log, send `caught_up`, then follow live events through a bounded live buffer. What happens
 * when a subscriber reads too slowly for the events appended is the node's version's behaviour:
 *
 * - 'fall-behind' (24.2 and later): the live buffer drops its oldest entry when full; the gap is
 *   noticed when the subscription reaches it, and it falls back to catching up from the log
 *   where it was, then sends `caught_up` again. KurrentDB does not send `fell_behind` to gRPC
 *   clients (Streams.Read.cs: "currently not sent to clients"); `announceFellBehind` sends it
 *   anyway, for what the client would do with it.
 * - 'drop' (before 24.2): a full live buffer ends the subscription with ABORTED "Operation timed
 *   out: Consumer too slow to handle event while live. Client resubscription required."
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { comparePos, type LogPos, type StoredEvent } from './log';

export type SlowSubscriberBehaviour = 'fall-behind' | 'drop';

/** What the server has done, for tests to check that a scenario happened at all. */
export interface ServerCounters {
  /** Live subscriptions that fell behind and went back to catching up ('fall-behind'). */
  fellBehind: number;
  /** Live subscriptions ended for being too slow ('drop'). */
  dropped: number;
  /** Reads and subscriptions refused for a position where no record starts. */
  refusedPositions: number;
  /** Appends answered with a timeout (the write may still land afterwards). */
  timedOutWrites: number;
}

export interface SubscriptionSettings {
  readonly slowSubscriber: SlowSubscriberBehaviour;
  /** Entries the live buffer holds (KurrentDB: 32, Enumerator.DefaultLiveBufferSize). */
  readonly liveBufferSize: number;
  readonly announceFellBehind: boolean;
  readonly counters: ServerCounters;
}

/** An event filter of a subscription to $all, with its checkpoint interval. */
export interface EventFilter {
  readonly matches: (event: StoredEvent) => boolean;
  /** Events read per page of a catch-up (the filter's max search window, 32 by default). */
  readonly window: number;
  /** Events considered (matching or not) between two checkpoints: window x multiplier. */
  readonly checkpointInterval: number;
}

/** What is subscribed to: $all (indexes into the log) or one stream (revisions). */
export interface SubscriptionSource {
  /** Current end (exclusive); grows as events are appended. */
  end(): number;
  at(index: number): StoredEvent;
  /** Whether a reader of this source may see the event at all ($all hides some system streams). */
  visible(event: StoredEvent): boolean;
  /** Calls `listener` with each event appended to this source and its index; returns the unsubscribe. */
  listen(listener: (event: StoredEvent, index: number) => void): () => void;
}

/** The response side of a read call, with back-pressure (see ResponseWriter in server.ts). */
export interface SubscriptionOutput {
  readonly closed: boolean;
  write(response: ReadResp): Promise<void>;
  /** Resolves once `wake` is called or the call closes. */
  wait(register: (wake: () => void) => () => void): Promise<void>;
  fail(error: Error): void;
}

type LiveEntry =
  | { readonly seq: number; readonly kind: 'event'; readonly index: number }
  | { readonly seq: number; readonly kind: 'checkpoint'; readonly index: number; readonly position: LogPos };

/** Where nothing has been sent yet (KurrentDB's TFPos.HeadOfTf). */
const NOTHING_SENT: LogPos = { commit: -1n, prepare: -1n };
const FIRST_RECORD: LogPos = { commit: 0n, prepare: 0n };

export function confirmationResponse(): ReadResp {
  const confirmation = new ReadResp.SubscriptionConfirmation();
  confirmation.setSubscriptionId(randomUUID());
  const response = new ReadResp();
  response.setConfirmation(confirmation);
  return response;
}

export function checkpointResponse(position: LogPos): ReadResp {
  const checkpoint = new ReadResp.Checkpoint();
  checkpoint.setCommitPosition(position.commit.toString());
  checkpoint.setPreparePosition(position.prepare.toString());
  const response = new ReadResp();
  response.setCheckpoint(checkpoint);
  return response;
}

function caughtUpResponse(): ReadResp {
  const response = new ReadResp();
  response.setCaughtUp(new ReadResp.CaughtUp());
  return response;
}

function fellBehindResponse(): ReadResp {
  const response = new ReadResp();
  response.setFellBehind(new ReadResp.FellBehind());
  return response;
}

const maxPos = (a: LogPos, b: LogPos) => (comparePos(a, b) >= 0 ? a : b);
const afterRecord = (event: StoredEvent): LogPos => ({ commit: event.end, prepare: 0n });

export class CatchUpSubscription {
  private readonly entries: LiveEntry[] = [];
  private lastSeq = 0;
  private takenSeq = 0;
  private overflowed = false;
  private wake: (() => void) | undefined;
  /** Events considered live since the last live checkpoint (SubscriptionsService's counter). */
  private liveConsidered = 0;
  /** The last event or checkpoint position sent ($all with a filter only). */
  private checkpoint: LogPos;

  constructor(
    private readonly source: SubscriptionSource,
    /** Index of the first event to send. */
    private next: number,
    /** Where the catch-up starts reading: the position subscribed from, or none. */
    start: LogPos | undefined,
    private readonly filter: EventFilter | undefined,
    private readonly output: SubscriptionOutput,
    private readonly settings: SubscriptionSettings,
    private readonly toResponse: (event: StoredEvent) => ReadResp,
  ) {
    this.checkpoint = start ?? NOTHING_SENT;
  }

  async run(): Promise<void> {
    // Live events are taken from the moment of subscribing, as the node subscribes to live events first.
    const unlisten = this.source.listen((event, index) => this.onLive(event, index));
    try {
      await this.output.write(confirmationResponse());
      // From the end, or a position at or past the last event, it goes live without reading the log.
      let readTheLog = this.next < this.source.end();
      for (;;) {
        await this.catchUp();
        if (this.output.closed) return;
        // Synchronous with the end of the catch-up: every entry so far is of an event sent or skipped already.
        this.entries.length = 0;
        this.takenSeq = this.lastSeq;
        this.overflowed = false;
        // A checkpoint when a catch-up goes live, so that one comes within every interval.
        if (this.filter && readTheLog) await this.sendCheckpoint(this.checkpoint);
        readTheLog = true;
        await this.output.write(caughtUpResponse());
        if (!(await this.followLive())) return;
        this.settings.counters.fellBehind++;
        if (this.settings.announceFellBehind) await this.output.write(fellBehindResponse());
        if (this.filter) await this.sendCheckpoint(this.checkpoint);
      }
    } finally {
      unlisten();
    }
  }

  /** What is sent of the events read: those visible here that the filter, if any, lets through. */
  private selects(event: StoredEvent): boolean {
    return this.source.visible(event) && (!this.filter || this.filter.matches(event));
  }

  private onLive(event: StoredEvent, index: number): void {
    const filter = this.filter;
    if (this.selects(event)) this.push({ seq: ++this.lastSeq, kind: 'event', index });
    if (filter && ++this.liveConsidered >= filter.checkpointInterval) {
      this.liveConsidered = 0;
      this.push({ seq: ++this.lastSeq, kind: 'checkpoint', index, position: event.position });
    }
  }

  private push(entry: LiveEntry): void {
    if (this.entries.length >= this.settings.liveBufferSize) {
      if (this.settings.slowSubscriber === 'drop') this.overflowed = true;
      else this.entries.shift();
    }
    if (!this.overflowed) this.entries.push(entry);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /**
   * Reads the log from `next` to its end, a page of `window` events at a time, sending what
   * matches; with a filter, a checkpoint whenever `checkpointInterval` events were considered.
   */
  private async catchUp(): Promise<void> {
    const window = this.filter?.window ?? 32;
    let counter = 0;
    let pageStart = comparePos(this.checkpoint, NOTHING_SENT) === 0 ? FIRST_RECORD : this.checkpoint;
    while (!this.output.closed && this.next < this.source.end()) {
      const pageFrom = this.next;
      const pageEnd = Math.min(this.source.end(), pageFrom + window);
      let last: StoredEvent | undefined;
      for (; this.next < pageEnd && !this.output.closed; this.next++) {
        last = this.source.at(this.next);
        if (!this.selects(last)) continue;
        await this.output.write(this.toResponse(last));
        this.checkpoint = last.position;
      }
      if (!this.filter || !last) continue;
      // A page also moves the checkpoint to where it started reading (Enumerator.AllSubscriptionFiltered.CatchUp).
      if (comparePos(this.checkpoint, pageStart) < 0) this.checkpoint = pageStart;
      pageStart = afterRecord(last);
      counter += this.next - pageFrom;
      if (this.next >= this.source.end()) break;
      if (counter >= this.filter.checkpointInterval) {
        counter %= this.filter.checkpointInterval;
        await this.sendCheckpoint(this.checkpoint);
      }
    }
    if (this.filter && comparePos(this.checkpoint, NOTHING_SENT) === 0 && this.source.end() > 0) this.checkpoint = FIRST_RECORD;
  }

  /** Sends live entries in order; true when it fell behind (an entry was dropped), false when done. */
  private async followLive(): Promise<boolean> {
    for (;;) {
      if (this.output.closed) return false;
      if (this.overflowed) {
        this.settings.counters.dropped++;
        this.output.fail(
          Object.assign(new Error('Operation timed out: Consumer too slow to handle event while live. Client resubscription required.'), {
            code: grpc.status.ABORTED,
            details: 'Operation timed out: Consumer too slow to handle event while live. Client resubscription required.',
          }),
        );
        return false;
      }
      const entry = this.entries.shift();
      if (!entry) {
        await this.output.wait((wake) => {
          this.wake = wake;
          return () => {
            if (this.wake === wake) this.wake = undefined;
          };
        });
        continue;
      }
      const inSequence = entry.seq === this.takenSeq + 1;
      this.takenSeq = entry.seq;
      if (entry.kind === 'event' && entry.index < this.next) continue;
      if (entry.kind === 'checkpoint' && comparePos(entry.position, this.checkpoint) < 0) continue;
      if (!inSequence) return true;
      if (entry.kind === 'event') {
        const event = this.source.at(entry.index);
        await this.output.write(this.toResponse(event));
        this.next = entry.index + 1;
        if (this.filter) this.checkpoint = event.position;
      } else {
        await this.sendCheckpoint(entry.position);
        this.next = Math.max(this.next, entry.index + 1);
      }
    }
  }

  private async sendCheckpoint(position: LogPos): Promise<void> {
    this.checkpoint = maxPos(this.checkpoint, position);
    if (comparePos(position, NOTHING_SENT) === 0) return;
    await this.output.write(checkpointResponse(position));
  }
}
