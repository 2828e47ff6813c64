/**
 * The in-memory transaction log behind the EventStoreDB test server: streams, the global log
 * ($all), optimistic concurrency, idempotent appends and the positions events get.
 *
 * Test-support code only. It follows what KurrentDB 26.0 does (its sources were read for that;
 * docs/esdb-test-server.md cites the files); what it leaves out is listed there too.
 */
import { randomUUID } from 'node:crypto';

/** A position in $all: the commit and prepare positions, both byte offsets into the log. */
export interface LogPos {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export function comparePos(a: LogPos, b: LogPos): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

export interface StoredEvent {
  readonly streamName: string;
  /** 0-based, dense within the stream. */
  readonly revision: bigint;
  /** Lower-case UUID text. */
  readonly id: string;
  readonly type: string;
  /** The node keeps only whether an event is JSON; it reads back application/json or application/octet-stream. */
  readonly isJson: boolean;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
  /** 100 ns ticks since the Unix epoch, as the server sends in the `created` metadata key. */
  readonly created: bigint;
  /** Commit and prepare are both the offset of the event's record (see `write`). */
  readonly position: LogPos;
  /** Offset just after the event's record (its post-position), where the next record starts. */
  readonly end: bigint;
  /** Index in the global log (not visible to clients). */
  readonly logIndex: number;
}

export interface ProposedEvent {
  readonly id: string;
  readonly type: string;
  readonly isJson: boolean;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
}

export type Expected =
  | { readonly kind: 'any' }
  | { readonly kind: 'no_stream' }
  | { readonly kind: 'stream_exists' }
  | { readonly kind: 'revision'; readonly revision: bigint };

/** The stream's current revision as the server reports it: a revision, or no stream at all. */
export type Current = bigint | 'no_stream';

export type AppendOutcome =
  | {
      readonly kind: 'success';
      readonly current: Current;
      /** Position of the last event of the append; undefined when there is none (nothing written). */
      readonly position: LogPos | undefined;
      /** True when the events were already there (a retry) and nothing was written. */
      readonly idempotent: boolean;
    }
  | { readonly kind: 'wrong_expected_version'; readonly current: Current };

/** The fixed part of a prepare record: length prefix and suffix, header, ids, timestamp, length fields. */
const PREPARE_RECORD_OVERHEAD = 88;
/** The fixed part of an epoch (system) record around its JSON. */
const SYSTEM_RECORD_OVERHEAD = 40;

export const EPOCH_INFORMATION_STREAM = '$epoch-information';
export const EPOCH_INFORMATION_TYPE = '$epoch-information';

export interface LogOptions {
  /** Ticks source, for tests. Defaults to the wall clock. */
  readonly now?: () => bigint;
}

export function ticksNow(): bigint {
  return BigInt(Date.now()) * 10_000n;
}

/** Bytes of a .NET BinaryWriter string: 7-bit encoded length, then UTF-8. */
function stringSize(text: string): number {
  const bytes = Buffer.byteLength(text);
  let prefix = 1;
  for (let rest = bytes >>> 7; rest > 0; rest >>>= 7) prefix++;
  return prefix + bytes;
}

/**
 * Single-threaded by construction: every mutation runs synchronously inside one call, so an
 * append is atomic with respect to readers and other writers without any locking.
 */
export class InMemoryLog {
  private readonly all: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  /** Per stream: event id -> revision of its first occurrence. */
  private readonly idsByStream = new Map<string, Map<string, bigint>>();
  /** Offsets of the records that are not events (epochs), in order. */
  private readonly systemRecords: bigint[] = [];
  /** The writer checkpoint: where the next record goes. A fresh database starts at 0. */
  private nextOffset = 0n;
  private epochNumber = -1;
  private lastEpochPosition = -1n;
  private readonly listeners = new Set<(event: StoredEvent) => void>();
  private readonly now: () => bigint;

  constructor(options: LogOptions = {}) {
    this.now = options.now ?? ticksNow;
  }

  get length(): number {
    return this.all.length;
  }

  /** The writer checkpoint: the end of the last record, where the next one goes. */
  get end(): bigint {
    return this.nextOffset;
  }

  at(index: number): StoredEvent {
    return this.all[index];
  }

  streamEvents(streamName: string): readonly StoredEvent[] {
    return this.streams.get(streamName) ?? [];
  }

  streamExists(streamName: string): boolean {
    return (this.streams.get(streamName)?.length ?? 0) > 0;
  }

  /**
   * Whether a record starts at this offset: reading the log from anywhere else finds no record
   * there, which KurrentDB refuses (see `refusesPosition` in server.ts).
   */
  isRecordStart(offset: bigint): boolean {
    const index = this.search((event) => event.position.commit >= offset);
    if (index < this.all.length && this.all[index].position.commit === offset) return true;
    return this.systemRecords.includes(offset);
  }

  /** Forwards from `pos`: index of the first event at or after it (inclusive), length when none. */
  firstAtOrAfter(pos: LogPos): number {
    return this.search((event) => comparePos(event.position, pos) >= 0);
  }

  /** Subscriptions from `pos`: index of the first event strictly after it, length when none. */
  firstAfter(pos: LogPos): number {
    return this.search((event) => comparePos(event.position, pos) > 0);
  }

  /**
   * Backwards from `pos`: index of the last event whose record ends at or before it (-1 when
   * none). From an event's own position that is the event before it: the read is exclusive.
   */
  lastEndingBy(pos: LogPos): number {
    return this.search((event) => comparePos({ commit: event.end, prepare: event.end }, pos) > 0) - 1;
  }

  /** Calls `listener` with every event written, in log order; returns the unsubscribe. */
  onAppend(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(streamName: string, expected: Expected, proposed: readonly ProposedEvent[]): AppendOutcome {
    const existing = this.streams.get(streamName) ?? [];
    const current: Current = existing.length > 0 ? BigInt(existing.length - 1) : 'no_stream';
    const currentNumber = existing.length - 1; // -1: no stream
    const wrong: AppendOutcome = { kind: 'wrong_expected_version', current };

    switch (expected.kind) {
      case 'no_stream':
      case 'revision': {
        const expectedNumber = expected.kind === 'no_stream' ? -1 : Number(expected.revision);
        if (currentNumber === expectedNumber) break;
        if (currentNumber > expectedNumber && proposed.length > 0) {
          // Strong idempotency (IndexWriter.CheckCommit): the events right after the expected
          // revision must be exactly the proposed ones, in order; else a conflict.
          const retried = this.retryOf(existing, proposed, (i) => expectedNumber + 1 + i);
          if (retried) return retried;
        }
        return wrong;
      }
      case 'stream_exists':
      case 'any': {
        if (expected.kind === 'stream_exists' && existing.length === 0) return wrong;
        const ids = this.idsByStream.get(streamName);
        if (proposed.length > 0 && ids?.has(proposed[0].id)) {
          // Weak idempotency: every proposed id already in this stream is a retry; the first
          // one there but a later one not is "corrupted idempotency", answered as a conflict.
          // (KurrentDB looks ids up in a cache of recently committed events, 8 MiB; here the
          // whole stream, which is the same for any retry that comes soon enough.)
          return this.retryOf(existing, proposed, (i) => Number(ids.get(proposed[i].id) ?? -1n)) ?? wrong;
        }
        break;
      }
    }

    if (proposed.length === 0) {
      // Nothing to write: the stream is left as it is (and not created).
      return { kind: 'success', current, position: undefined, idempotent: false };
    }
    const last = this.write(streamName, proposed);
    return { kind: 'success', current: last.revision, position: last.position, idempotent: false };
  }

  /** Writes a system event (stream or type starting with '$'), as the server does on its own. */
  appendSystemEvent(streamName: string, type: string, data: unknown): StoredEvent {
    return this.write(streamName, [
      { id: randomUUID(), type, isJson: true, data: Buffer.from(JSON.stringify(data), 'utf8'), customMetadata: new Uint8Array(0) },
    ]);
  }

  /**
   * What a node writes each time it becomes leader (on every start): an epoch record, which is
   * not an event, then a `$epoch-information` event describing it (EpochManager.WriteNewEpoch).
   */
  writeEpoch(leaderInstanceId: string): StoredEvent {
    const epoch = {
      epochPosition: Number(this.nextOffset),
      epochNumber: ++this.epochNumber,
      epochId: randomUUID(),
      prevEpochPosition: Number(this.lastEpochPosition),
      timeStamp: new Date().toISOString(),
      leaderInstanceId,
    };
    this.lastEpochPosition = this.nextOffset;
    this.systemRecords.push(this.nextOffset);
    this.nextOffset += BigInt(SYSTEM_RECORD_OVERHEAD + Buffer.byteLength(JSON.stringify(epoch)));
    return this.appendSystemEvent(EPOCH_INFORMATION_STREAM, EPOCH_INFORMATION_TYPE, epoch);
  }

  /** The result of the earlier append that wrote `proposed` where `revisionOf` says, if it did. */
  private retryOf(
    existing: readonly StoredEvent[],
    proposed: readonly ProposedEvent[],
    revisionOf: (index: number) => number,
  ): AppendOutcome | undefined {
    let last: StoredEvent | undefined;
    for (let i = 0; i < proposed.length; i++) {
      const event = existing[revisionOf(i)];
      if (event?.id !== proposed[i].id) return undefined;
      last = event;
    }
    return last && { kind: 'success', current: last.revision, position: last.position, idempotent: true };
  }

  /** Index of the first event for which `atOrPast` holds (it must hold for every later one too). */
  private search(atOrPast: (event: StoredEvent) => boolean): number {
    let lo = 0;
    let hi = this.all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (atOrPast(this.all[mid])) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * As KurrentDB's storage writer does (StorageWriterService, WritePrepares): one prepare record
   * per event, each flagged as committed, so each event's commit position is its own record's
   * offset, equal to its prepare position; no separate commit record. The append's result is the
   * last event's position (StorageChaser / RequestManagerBase: the commit of the last prepare).
   */
  private write(streamName: string, proposed: readonly ProposedEvent[]): StoredEvent {
    let existing = this.streams.get(streamName);
    if (!existing) this.streams.set(streamName, (existing = []));
    let ids = this.idsByStream.get(streamName);
    if (!ids) this.idsByStream.set(streamName, (ids = new Map()));
    const created = this.now();
    const written: StoredEvent[] = [];
    for (const event of proposed) {
      const offset = this.nextOffset;
      const size =
        PREPARE_RECORD_OVERHEAD + stringSize(streamName) + stringSize(event.type) + event.data.length + event.customMetadata.length;
      this.nextOffset += BigInt(size);
      const stored: StoredEvent = {
        streamName,
        revision: BigInt(existing.length),
        id: event.id,
        type: event.type,
        isJson: event.isJson,
        data: event.data,
        customMetadata: event.customMetadata,
        created,
        position: { commit: offset, prepare: offset },
        end: this.nextOffset,
        logIndex: this.all.length,
      };
      existing.push(stored);
      this.all.push(stored);
      if (!ids.has(event.id)) ids.set(event.id, stored.revision);
      written.push(stored);
    }
    for (const event of written) for (const listener of [...this.listeners]) listener(event);
    return written[written.length - 1];
  }
}
