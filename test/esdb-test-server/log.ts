/**
 * The in-memory transaction log behind the EventStoreDB test server: streams, the global log
 * ($all), optimistic concurrency, idempotent appends and the positions events get.
 *
 * Test-support code only. It follows EventStoreDB's documented semantics as far as they are
 * known; where they are not, the choice made here is marked "UNCERTAIN" (see also README.md).
 */
import { randomUUID } from 'node:crypto';

/** A position in $all: the commit and prepare positions of an event, both byte offsets. */
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
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
  /** 100 ns ticks since the Unix epoch, as the server sends in the `created` metadata key. */
  readonly created: bigint;
  readonly position: LogPos;
  /** Index in the global log (not visible to clients). */
  readonly logIndex: number;
}

export interface ProposedEvent {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
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
      /** Position of the last event of the append; undefined when none is reported. */
      readonly position: LogPos | undefined;
      /** True when the events were already there (a retry) and nothing was written. */
      readonly idempotent: boolean;
    }
  | { readonly kind: 'wrong_expected_version'; readonly current: Current };

/** Bytes a record takes in the log besides its payload (made up, but not trivial). */
const RECORD_OVERHEAD = 97;
/** Where the first record goes: a fresh database does not start its log at 0 either. */
const FIRST_POSITION = 1_024n;

export interface LogOptions {
  /** Ticks source, for tests. Defaults to the wall clock. */
  readonly now?: () => bigint;
}

export function ticksNow(): bigint {
  return BigInt(Date.now()) * 10_000n;
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
  private nextOffset = FIRST_POSITION;
  private readonly listeners = new Set<() => void>();
  private readonly now: () => bigint;

  constructor(options: LogOptions = {}) {
    this.now = options.now ?? ticksNow;
  }

  get length(): number {
    return this.all.length;
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

  currentRevision(streamName: string): Current {
    const events = this.streams.get(streamName);
    return events && events.length > 0 ? BigInt(events.length - 1) : 'no_stream';
  }

  /** Index of the first event at or after `pos` (length when there is none). */
  lowerBound(pos: LogPos): number {
    let lo = 0;
    let hi = this.all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePos(this.all[mid].position, pos) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first event strictly after `pos` (length when there is none). */
  upperBound(pos: LogPos): number {
    let lo = 0;
    let hi = this.all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePos(this.all[mid].position, pos) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Calls `listener` after every append that wrote something; returns the unsubscribe. */
  onAppend(listener: () => void): () => void {
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
          // A retry of an append that was made at this expected revision: the events right
          // after it must be exactly the proposed ones, in order.
          const retried = this.matchAt(existing, expectedNumber + 1, proposed);
          if (retried) return retried;
        }
        return wrong;
      }
      case 'stream_exists':
      case 'any': {
        if (expected.kind === 'stream_exists' && existing.length === 0) return wrong;
        if (proposed.length > 0) {
          // UNCERTAIN: EventStoreDB looks the first id up in a bounded cache of recent
          // appends; here the whole stream is searched. A partial match is reported as a
          // wrong expected version (EventStoreDB's "corrupted idempotency" case).
          const first = this.idsByStream.get(streamName)?.get(proposed[0].id);
          if (first !== undefined) return this.matchAt(existing, Number(first), proposed) ?? wrong;
        }
        break;
      }
    }

    if (proposed.length === 0) {
      // Nothing to write: the stream is left as it is (and not created).
      return { kind: 'success', current, position: undefined, idempotent: false };
    }
    this.write(streamName, existing, proposed);
    const written = this.streams.get(streamName) as StoredEvent[];
    const last = written[written.length - 1];
    return { kind: 'success', current: last.revision, position: last.position, idempotent: false };
  }

  /** Writes a system event (stream or type starting with '$'), as the server does on its own. */
  appendSystemEvent(streamName: string, type: string, data: unknown): StoredEvent {
    const existing = this.streams.get(streamName) ?? [];
    this.write(streamName, existing, [
      {
        id: randomUUID(),
        type,
        contentType: 'application/json',
        data: Buffer.from(JSON.stringify(data), 'utf8'),
        customMetadata: new Uint8Array(0),
      },
    ]);
    return existing[existing.length - 1];
  }

  /** The result of the earlier append that put `proposed` at `from`, if it did. */
  private matchAt(existing: readonly StoredEvent[], from: number, proposed: readonly ProposedEvent[]): AppendOutcome | undefined {
    if (from < 0 || from + proposed.length > existing.length) return undefined;
    for (let i = 0; i < proposed.length; i++) {
      if (existing[from + i].id !== proposed[i].id) return undefined;
    }
    const last = existing[from + proposed.length - 1];
    return { kind: 'success', current: last.revision, position: last.position, idempotent: true };
  }

  private write(streamName: string, existing: StoredEvent[], proposed: readonly ProposedEvent[]): void {
    if (!this.streams.has(streamName)) this.streams.set(streamName, existing);
    let ids = this.idsByStream.get(streamName);
    if (!ids) this.idsByStream.set(streamName, (ids = new Map()));
    const created = this.now();
    // UNCERTAIN: modelled on EventStoreDB's transaction log, where the events of one append
    // share the commit position (that of the append's first record) and each has its own
    // prepare position (the offset of its record). Only the order (commit, then prepare) and
    // uniqueness are relied on by clients.
    const commit = this.nextOffset;
    for (const event of proposed) {
      const prepare = this.nextOffset;
      const stored: StoredEvent = {
        streamName,
        revision: BigInt(existing.length),
        id: event.id,
        type: event.type,
        contentType: event.contentType,
        data: event.data,
        customMetadata: event.customMetadata,
        created,
        position: { commit, prepare },
        logIndex: this.all.length,
      };
      existing.push(stored);
      this.all.push(stored);
      if (!ids.has(event.id)) ids.set(event.id, stored.revision);
      const size = RECORD_OVERHEAD + Buffer.byteLength(streamName) + Buffer.byteLength(event.type) + event.data.length + event.customMetadata.length;
      this.nextOffset += BigInt(size);
    }
    // Room for the commit record that ends the append.
    this.nextOffset += 41n;
    for (const listener of [...this.listeners]) listener();
  }
}
