import { Readable, Transform, type TransformCallback } from 'node:stream';
import {
  ANY,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  NO_STREAM,
  NotLeaderError,
  START,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type EventStoreDBClient,
  type Position as EsdbPosition,
} from '@eventstore/db-client';
import {
  EventStoreUnavailableError,
  START_OF_LOG,
  WrongExpectedVersionError,
  type RecordedEvent,
} from '../event-store.port';
import {
  currentRevisionToVersion,
  fromEsdbPosition,
  fromExpectedRevision,
  isSystemEvent,
  mapEventStoreDbError,
  matchesPrefixes,
  revisionToVersion,
  toEsdbPosition,
  toExpectedRevision,
  toReadPosition,
  toRecordedEvent,
  versionToRevision,
} from './mapping';
import { EventStoreDbEventStore } from './eventstoredb-event-store';
import { until } from '@app/testing';

describe('EventStoreDB adapter: version and position mapping', () => {
  it('maps 0-based revisions to 1-based versions and back', () => {
    expect(revisionToVersion(0n)).toBe(1);
    expect(revisionToVersion(41n)).toBe(42);
    expect(versionToRevision(1)).toBe(0n);
    expect(versionToRevision(42)).toBe(41n);
    expect(() => versionToRevision(0)).toThrow(RangeError);
    expect(() => versionToRevision(1.5)).toThrow(RangeError);
  });

  it('maps a current revision, with no_stream as version 0', () => {
    expect(currentRevisionToVersion(NO_STREAM)).toBe(0);
    expect(currentRevisionToVersion(0n)).toBe(1);
    expect(currentRevisionToVersion(9n)).toBe(10);
  });

  it('maps expected versions to expected revisions', () => {
    expect(toExpectedRevision(1)).toBe(0n);
    expect(toExpectedRevision(7)).toBe(6n);
    expect(toExpectedRevision(0)).toBe(NO_STREAM);
    expect(toExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toExpectedRevision('stream_exists')).toBe(STREAM_EXISTS);
    expect(toExpectedRevision('any')).toBe(ANY);
    expect(() => toExpectedRevision(-1)).toThrow(RangeError);
    expect(() => toExpectedRevision(2.5)).toThrow(RangeError);
  });

  it('maps expected revisions back to expected versions', () => {
    expect(fromExpectedRevision(6n)).toBe(7);
    expect(fromExpectedRevision(NO_STREAM)).toBe('no_stream');
    expect(fromExpectedRevision(STREAM_EXISTS)).toBe('stream_exists');
    expect(fromExpectedRevision(ANY)).toBe('any');
  });

  it('maps positions both ways and treats unknown positions as absent', () => {
    expect(toEsdbPosition({ commit: 10n, prepare: 8n })).toEqual({ commit: 10n, prepare: 8n });
    expect(fromEsdbPosition({ commit: 10n, prepare: 8n })).toEqual({ commit: 10n, prepare: 8n });
    expect(fromEsdbPosition(undefined)).toBeUndefined();
    expect(fromEsdbPosition({ commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n })).toBeUndefined();
    expect(fromEsdbPosition({ commit: -1n, prepare: -1n })).toBeUndefined();
  });

  it('starts reading at START for no checkpoint or the start of the log', () => {
    expect(toReadPosition(undefined)).toBe(START);
    expect(toReadPosition(START_OF_LOG)).toBe(START);
    expect(toReadPosition({ commit: 5n, prepare: 5n })).toEqual({ commit: 5n, prepare: 5n });
  });

  it('recognises system events and stream prefixes', () => {
    expect(isSystemEvent('$stats-127.0.0.1:2113', 'StatsCollected')).toBe(true);
    expect(isSystemEvent('person-1', '$metadata')).toBe(true);
    expect(isSystemEvent('person-1', 'Registered')).toBe(false);
    expect(matchesPrefixes('person-1', undefined)).toBe(true);
    expect(matchesPrefixes('person-1', [])).toBe(true);
    expect(matchesPrefixes('person-1', ['case-', 'person-'])).toBe(true);
    expect(matchesPrefixes('person-1', ['case-'])).toBe(false);
  });

  it('maps a recorded event, keeping the created date and wrapping non-object payloads', () => {
    const created = new Date('2024-05-01T10:00:00.123Z');
    const mapped = toRecordedEvent({
      streamId: 'person-1',
      id: 'b3f4a0c2-64a4-4f0e-9e57-0b9c0d5d3a11',
      revision: 2n,
      type: 'Registered',
      created,
      data: { name: 'Олена' },
      metadata: undefined,
      position: { commit: 100n, prepare: 100n },
    });
    expect(mapped).toEqual({
      id: 'b3f4a0c2-64a4-4f0e-9e57-0b9c0d5d3a11',
      streamId: 'person-1',
      version: 3,
      type: 'Registered',
      data: { name: 'Олена' },
      metadata: {},
      position: { commit: 100n, prepare: 100n },
      createdAt: created,
    });
    const binary = toRecordedEvent({ ...rawEvent('x-1', 'Raw', 1).event!, data: Buffer.from('{"a":1}'), metadata: [1, 2] });
    expect(binary.data).toEqual({ a: 1 });
    expect(binary.metadata).toEqual({ value: [1, 2] });
    expect(toRecordedEvent({ ...rawEvent('x-1', 'Raw', 1).event!, position: undefined }).position).toEqual(START_OF_LOG);
  });
});

describe('EventStoreDB adapter: error mapping', () => {
  it('maps a wrong expected version, with the caller context', () => {
    const error = new EsdbWrongExpectedVersionError(undefined, { streamName: 'person-1', expected: 0n, current: 3n });
    const mapped = mapEventStoreDbError(error, { streamId: 'person-1', expected: 1 });
    expect(mapped).toBeInstanceOf(WrongExpectedVersionError);
    expect(mapped).toMatchObject({ streamId: 'person-1', expected: 1, actual: 4 });
  });

  it("maps a wrong expected version on a missing stream to actual 0, and works without context", () => {
    const error = new EsdbWrongExpectedVersionError(undefined, {
      streamName: 'person-2',
      expected: STREAM_EXISTS,
      current: NO_STREAM,
    });
    expect(mapEventStoreDbError(error)).toMatchObject({ streamId: 'person-2', expected: 'stream_exists', actual: 0 });
  });

  it.each([
    ['UnavailableError', new UnavailableError(undefined, 'down')],
    ['DeadlineExceededError', new DeadlineExceededError(undefined, 'too slow')],
    ['CancelledError', new CancelledError(undefined, 'cancelled by server')],
    ['TimeoutError', new TimeoutError(undefined, 'commit timeout')],
    [
      'NotLeaderError',
      new NotLeaderError({
        code: 5,
        details: 'not leader',
        message: 'not leader',
        name: 'Error',
        metadata: { getMap: () => ({ 'leader-endpoint-host': 'node2', 'leader-endpoint-port': '2113' }) },
      } as never),
    ],
    ['a raw gRPC UNAVAILABLE', Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, details: 'x' })],
    ['a raw gRPC DEADLINE_EXCEEDED', Object.assign(new Error('4 DEADLINE_EXCEEDED'), { code: 4, details: 'x' })],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['a failed discovery', new Error('Failed to discover after 10 attempts.')],
  ])('maps %s to EventStoreUnavailableError', (_name, error) => {
    const mapped = mapEventStoreDbError(error);
    expect(mapped).toBeInstanceOf(EventStoreUnavailableError);
    expect((mapped as EventStoreUnavailableError).cause).toBe(error);
  });

  it('names a position the node refused as one it never gave', () => {
    const refused = Object.assign(new Error('3 INVALID_ARGUMENT: Trying to read from an invalid position.'), { code: 3, details: 'x' });
    const mapped = mapEventStoreDbError(refused);
    expect(mapped).toBeInstanceOf(RangeError);
    expect((mapped as Error).message).toMatch(/refused a position where no event starts/);
  });

  it('passes other errors through unchanged', () => {
    const deleted = StreamDeletedError.fromStreamName('person-1');
    expect(mapEventStoreDbError(deleted)).toBe(deleted);
    const plain = new TypeError('bug');
    expect(mapEventStoreDbError(plain)).toBe(plain);
    expect(mapEventStoreDbError('a string')).toBe('a string');
    const portError = new WrongExpectedVersionError('s', 1, 2);
    expect(mapEventStoreDbError(portError)).toBe(portError);
  });
});

describe('EventStoreDB adapter: unreachable server', () => {
  it('rejects a ping with EventStoreUnavailableError within a few seconds', async () => {
    const store = EventStoreDbEventStore.fromConnectionString('esdb://127.0.0.1:1?tls=false&defaultDeadline=2000', {
      pingTimeoutMs: 3000,
    });
    try {
      const started = Date.now();
      await expect(store.ping()).rejects.toBeInstanceOf(EventStoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await store.close();
    }
  });

  it('rejects an append with EventStoreUnavailableError', async () => {
    const store = EventStoreDbEventStore.fromConnectionString('esdb://127.0.0.1:1?tls=false&defaultDeadline=2000');
    try {
      await expect(
        store.append('person-1', [{ id: 'b3f4a0c2-64a4-4f0e-9e57-0b9c0d5d3a11', type: 'T', data: {}, metadata: {} }], 'any'),
      ).rejects.toBeInstanceOf(EventStoreUnavailableError);
    } finally {
      await store.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Behaviour against a fake client (what the adapter adds on top of the client)
// ---------------------------------------------------------------------------------------------

function rawEvent(streamId: string, type: string, n: number, revision = BigInt(n)): AllStreamResolvedEvent {
  return {
    event: {
      streamId,
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      isJson: true,
      revision,
      type,
      created: new Date(1_700_000_000_000 + n),
      data: { n },
      metadata: { m: n },
      position: { commit: BigInt(n * 10), prepare: BigInt(n * 10) },
    },
  } as AllStreamResolvedEvent;
}

function streamOf<T>(items: T[], error?: Error): Readable & { cancel(): Promise<void> } {
  const readable = Readable.from(
    (async function* () {
      yield* items;
      if (error) throw error;
    })(),
  ) as Readable & { cancel(): Promise<void> };
  readable.cancel = async () => undefined;
  return readable;
}

/** A log of $all for the fake readAll: inclusive forwards, exclusive backwards, like ESDB. */
function fakeAllLog(log: AllStreamResolvedEvent[]) {
  const at = (e: AllStreamResolvedEvent) => e.event!.position.commit;
  return jest.fn(
    (options: { fromPosition?: typeof START | typeof END | EsdbPosition; maxCount?: number; direction?: string }) => {
      const max = options.maxCount ?? Number.MAX_SAFE_INTEGER;
      const from = options.fromPosition ?? START;
      if (options.direction === BACKWARDS) {
        const older = from === END ? log : log.filter((e) => at(e) < (from as EsdbPosition).commit);
        return streamOf([...older].reverse().slice(0, max));
      }
      const newer = from === START ? log : log.filter((e) => at(e) >= (from as EsdbPosition).commit);
      return streamOf(newer.slice(0, max));
    },
  );
}

function storeWith(client: Record<string, unknown>, pageSize = 3): EventStoreDbEventStore {
  return new EventStoreDbEventStore({ dispose: async () => undefined, ...client } as unknown as EventStoreDBClient, {
    pageSize,
  });
}

describe('EventStoreDB adapter: readAll and headPosition (fake client)', () => {
  const log = [
    rawEvent('a-1', 'E', 1),
    rawEvent('$stats-node', 'Stats', 2),
    rawEvent('b-1', 'E', 3),
    rawEvent('a-2', 'E', 4),
    rawEvent('a-1', '$metadata', 5),
    rawEvent('a-1', 'E', 6),
    rawEvent('b-1', 'E', 7),
    rawEvent('b-2', 'E', 8),
    rawEvent('b-3', 'E', 9),
    rawEvent('a-3', 'E', 10),
    rawEvent('$scavenges', 'Scavenge', 11),
  ];

  it('returns events strictly after the checkpoint, skipping system events', async () => {
    const store = storeWith({ readAll: fakeAllLog(log) });
    const read = await store.readAll({ after: { commit: 30n, prepare: 30n }, maxCount: 3 });
    expect(read.map((e) => e.position.commit)).toEqual([40n, 60n, 70n]);
  });

  it('pages until maxCount matching events are found, or the end of the log', async () => {
    const store = storeWith({ readAll: fakeAllLog(log) });
    const first = await store.readAll({ maxCount: 3, streamPrefixes: ['a-'] });
    expect(first.map((e) => [e.streamId, e.version])).toEqual([
      ['a-1', 2],
      ['a-2', 5],
      ['a-1', 7],
    ]);
    const rest = await store.readAll({ after: first[2].position, maxCount: 3, streamPrefixes: ['a-'] });
    expect(rest.map((e) => e.position.commit)).toEqual([100n]);
    expect(await store.readAll({ after: rest[0].position, streamPrefixes: ['a-'] })).toEqual([]);
  });

  it('reads an empty log as empty', async () => {
    const store = storeWith({ readAll: fakeAllLog([]) });
    await expect(store.readAll()).resolves.toEqual([]);
    await expect(store.headPosition()).resolves.toEqual(START_OF_LOG);
  });

  it('reports the last non-system event as the head', async () => {
    await expect(storeWith({ readAll: fakeAllLog(log) }).headPosition()).resolves.toEqual({ commit: 100n, prepare: 100n });
    const systemTail = [...log, ...[12, 13, 14, 15, 16].map((n) => rawEvent('$stats-node', 'Stats', n))];
    await expect(storeWith({ readAll: fakeAllLog(systemTail) }, 2).headPosition()).resolves.toEqual({
      commit: 100n,
      prepare: 100n,
    });
    const onlySystem = [2, 3, 4, 5].map((n) => rawEvent('$stats-node', 'Stats', n));
    await expect(storeWith({ readAll: fakeAllLog(onlySystem) }, 2).headPosition()).resolves.toEqual(START_OF_LOG);
  });

  it('maps a failing read to EventStoreUnavailableError', async () => {
    const store = storeWith({ readAll: () => streamOf([], new UnavailableError(undefined, 'gone')) });
    await expect(store.readAll()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(store.ping()).rejects.toBeInstanceOf(EventStoreUnavailableError);
  });
});

describe('EventStoreDB adapter: append and readStream (fake client)', () => {
  const toAppend = [
    { id: '11111111-1111-4111-8111-111111111111', type: 'A', data: { a: 1 }, metadata: { by: 'x' } },
    { id: '22222222-2222-4222-8222-222222222222', type: 'B', data: { b: 2 }, metadata: {} },
  ];

  it('sends ids, JSON and the expected revision, and maps the result', async () => {
    const appendToStream = jest.fn(async () => ({
      success: true,
      nextExpectedRevision: 4n,
      position: { commit: 500n, prepare: 500n },
    }));
    const store = storeWith({ appendToStream });
    await expect(store.append('person-1', toAppend, 3)).resolves.toEqual({
      nextExpectedVersion: 5,
      position: { commit: 500n, prepare: 500n },
    });
    expect(appendToStream).toHaveBeenCalledWith(
      'person-1',
      [
        expect.objectContaining({ id: toAppend[0].id, type: 'A', data: { a: 1 }, metadata: { by: 'x' }, contentType: 'application/json' }),
        expect.objectContaining({ id: toAppend[1].id, type: 'B', data: { b: 2 }, metadata: {} }),
      ],
      { expectedRevision: 2n },
    );
  });

  it('reads the position back when the server reports none (an idempotent retry)', async () => {
    const readStream = jest.fn(() => streamOf([rawEvent('person-1', 'B', 7, 1n)]));
    const store = storeWith({
      appendToStream: async () => ({ success: true, nextExpectedRevision: 1n, position: undefined }),
      readStream,
    });
    await expect(store.append('person-1', toAppend, 'no_stream')).resolves.toEqual({
      nextExpectedVersion: 2,
      position: { commit: 70n, prepare: 70n },
    });
    expect(readStream).toHaveBeenCalledWith('person-1', { fromRevision: 1n, maxCount: 1 });
  });

  it('sends an append the node did not confirm in time again, with the same ids, until it is confirmed', async () => {
    const appendToStream = jest
      .fn()
      .mockRejectedValueOnce(new DeadlineExceededError())
      .mockRejectedValueOnce(new TimeoutError(undefined, 'Operation timed out: Commit phase timeout.'))
      .mockResolvedValueOnce({ success: true, nextExpectedRevision: 1n, position: { commit: 700n, prepare: 700n } });
    const store = storeWith({ appendToStream });
    await expect(store.append('person-1', toAppend, 'no_stream')).resolves.toEqual({
      nextExpectedVersion: 2,
      position: { commit: 700n, prepare: 700n },
    });
    expect(appendToStream).toHaveBeenCalledTimes(3);
    const [first, second, third] = appendToStream.mock.calls;
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(first[1].map((event: { id: string }) => event.id)).toEqual(toAppend.map((e) => e.id));
  });

  it('gives up on an append never confirmed with EventStoreUnavailableError, and does not resend what failed otherwise', async () => {
    const unconfirmed = jest.fn(async () => {
      throw new DeadlineExceededError();
    });
    await expect(storeWith({ appendToStream: unconfirmed }).append('person-1', toAppend, 1)).rejects.toBeInstanceOf(
      EventStoreUnavailableError,
    );
    expect(unconfirmed).toHaveBeenCalledTimes(3);
    const unreachable = jest.fn(async () => {
      throw new UnavailableError(undefined, 'down');
    });
    await expect(storeWith({ appendToStream: unreachable }).append('person-1', toAppend, 1)).rejects.toBeInstanceOf(
      EventStoreUnavailableError,
    );
    expect(unreachable).toHaveBeenCalledTimes(1);
  });

  it('turns a conflict into the port error with the current version', async () => {
    const store = storeWith({
      appendToStream: async () => {
        throw new EsdbWrongExpectedVersionError(undefined, { streamName: 'person-1', expected: 0n, current: 1n });
      },
    });
    const rejected = store.append('person-1', toAppend, 1);
    await expect(rejected).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await expect(rejected).rejects.toMatchObject({ streamId: 'person-1', expected: 1, actual: 2 });
  });

  it('refuses an empty append', async () => {
    await expect(storeWith({}).append('person-1', [], 'any')).rejects.toThrow('at least one event');
  });

  it('reads a stream from a version, and a missing or deleted stream as empty', async () => {
    const readStream = jest.fn(() => streamOf([rawEvent('person-1', 'B', 7, 1n), rawEvent('person-1', 'C', 8, 2n)]));
    const store = storeWith({ readStream });
    const read = await store.readStream('person-1', { fromVersion: 2, maxCount: 2 });
    expect(read.map((e) => e.version)).toEqual([2, 3]);
    expect(readStream).toHaveBeenCalledWith('person-1', { fromRevision: 1n, maxCount: 2 });

    const missing = storeWith({ readStream: () => streamOf([], new StreamNotFoundError(undefined, 'nope')) });
    await expect(missing.readStream('nope')).resolves.toEqual([]);
    const deleted = storeWith({ readStream: () => streamOf([], StreamDeletedError.fromStreamName('gone')) });
    await expect(deleted.readStream('gone')).resolves.toEqual([]);
  });
});

/** Stands in for the client's subscription: a Transform that emits 'caughtUp' and 'fellBehind' in order. */
class FakeSubscription extends Transform {
  static readonly CAUGHT_UP = 'caughtUp-marker';
  static readonly FELL_BEHIND = 'fellBehind-marker';
  readonly unsubscribe = jest.fn(async () => {
    this.end();
  });

  constructor() {
    super({ objectMode: true });
  }

  override _transform(chunk: unknown, _encoding: string, next: TransformCallback): void {
    if (chunk === FakeSubscription.CAUGHT_UP || chunk === FakeSubscription.FELL_BEHIND) {
      this.emit(chunk === FakeSubscription.CAUGHT_UP ? 'caughtUp' : 'fellBehind');
      next();
      return;
    }
    next(null, chunk);
  }
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('EventStoreDB adapter: subscribeToAll (fake client)', () => {
  it('subscribes after the checkpoint with a server-side filter', async () => {
    const source = new FakeSubscription();
    const subscribeToAll = jest.fn(() => source);
    const store = storeWith({ subscribeToAll });
    const subscription = store.subscribeToAll({
      after: { commit: 30n, prepare: 30n },
      streamPrefixes: ['a-'],
      onEvents: async () => undefined,
    });
    await subscription.close();
    expect(subscribeToAll).toHaveBeenCalledWith({
      fromPosition: { commit: 30n, prepare: 30n },
      filter: expect.objectContaining({ filterOn: 'streamName', prefixes: ['a-'] }),
    });
    expect(source.unsubscribe).toHaveBeenCalled();

    store.subscribeToAll({ onEvents: async () => undefined });
    expect(subscribeToAll).toHaveBeenLastCalledWith({
      fromPosition: START,
      filter: expect.objectContaining({ filterOn: 'eventType', regex: '^[^$].*' }),
    });
    await store.close();
  });

  it('batches what arrives during a handler and calls onCaughtUp after the events before it', async () => {
    const source = new FakeSubscription();
    const store = storeWith({ subscribeToAll: () => source });
    const log: string[] = [];
    const firstCall = deferred();
    const release = deferred();
    const sawLive = deferred();
    const onError = jest.fn();
    const subscription = store.subscribeToAll({
      after: { commit: 10n, prepare: 10n },
      onEvents: async (events: readonly RecordedEvent[]) => {
        log.push(`events ${events.map((e) => e.position.commit).join(',')}`);
        if (log.length === 1) {
          firstCall.resolve();
          await release.promise;
        }
        if (events.some((e) => e.position.commit === 60n)) sawLive.resolve();
      },
      onCaughtUp: () => log.push('caughtUp'),
      onError,
    });
    try {
      // The event at the checkpoint itself must not be delivered, nor system events.
      source.write(rawEvent('a-1', 'E', 1));
      source.write(rawEvent('a-1', 'E', 2));
      await firstCall.promise;
      source.write(rawEvent('$stats', 'S', 3));
      source.write(rawEvent('b-1', 'E', 4));
      source.write(rawEvent('a-2', 'E', 5));
      source.write(FakeSubscription.CAUGHT_UP);
      release.resolve();
      await new Promise((resolve) => setTimeout(resolve, 20));
      source.write(rawEvent('a-3', 'E', 6));
      await sawLive.promise;
      expect(log).toEqual(['events 20', 'events 40,50', 'caughtUp', 'events 60']);
    } finally {
      await subscription.close();
    }
    expect(onError).not.toHaveBeenCalled();
  });

  it('keeps onCaughtUp behind a full queue of earlier events', async () => {
    const source = new FakeSubscription();
    const store = storeWith({ subscribeToAll: () => source });
    const delivered: number[] = [];
    const caughtUp = deferred<number>();
    const subscription = store.subscribeToAll({
      maxCount: 2,
      onEvents: async (events) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        delivered.push(...events.map((e) => Number(e.position.commit / 10n)));
      },
      onCaughtUp: () => caughtUp.resolve(delivered.length),
    });
    try {
      for (let n = 1; n <= 40; n++) source.write(rawEvent('a-1', 'E', n));
      source.write(FakeSubscription.CAUGHT_UP);
      await expect(caughtUp.promise).resolves.toBe(40);
      expect(delivered).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    } finally {
      await subscription.close();
    }
  });

  it('close() waits for the running handler and delivers nothing after it', async () => {
    const source = new FakeSubscription();
    const store = storeWith({ subscribeToAll: () => source });
    const started = deferred();
    const release = deferred();
    const batches: number[] = [];
    const onError = jest.fn();
    const subscription = store.subscribeToAll({
      onEvents: async (events) => {
        batches.push(events.length);
        started.resolve();
        await release.promise;
      },
      onError,
    });
    source.write(rawEvent('a-1', 'E', 1));
    await started.promise;
    source.write(rawEvent('a-1', 'E', 2));
    let closed = false;
    const closing = subscription.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    release.resolve();
    await closing;
    expect(batches).toEqual([1]);
    expect(onError).not.toHaveBeenCalled();
  });

  it('reports a failure once, as EventStoreUnavailableError for a lost connection', async () => {
    const source = new FakeSubscription();
    const store = storeWith({ subscribeToAll: () => source });
    const failed = deferred<Error>();
    const onError = jest.fn((error: Error) => failed.resolve(error));
    const subscription = store.subscribeToAll({ onEvents: async () => undefined, onError });
    source.destroy(new UnavailableError(undefined, 'connection lost'));
    await expect(failed.promise).resolves.toBeInstanceOf(EventStoreUnavailableError);
    await subscription.close();
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it('calls onFellBehind in order with the events, and onCaughtUp again once caught up', async () => {
    const source = new FakeSubscription();
    const store = storeWith({ subscribeToAll: () => source });
    const log: string[] = [];
    const done = deferred();
    const subscription = store.subscribeToAll({
      onEvents: async (events) => void log.push(`events ${events.map((e) => e.position.commit).join(',')}`),
      onCaughtUp: () => {
        log.push('caughtUp');
        if (log.filter((entry) => entry === 'caughtUp').length === 2) done.resolve();
      },
      onFellBehind: () => log.push('fellBehind'),
    });
    try {
      for (const item of [rawEvent('a-1', 'E', 1), FakeSubscription.CAUGHT_UP, rawEvent('a-1', 'E', 2), FakeSubscription.FELL_BEHIND]) {
        source.write(item);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      source.write(rawEvent('a-1', 'E', 3));
      source.write(FakeSubscription.CAUGHT_UP);
      await done.promise;
      expect(log.join(' | ')).toBe('events 10 | caughtUp | events 20 | fellBehind | events 30 | caughtUp');
    } finally {
      await subscription.close();
    }
  });

  it('follows again after the last event handled when a node drops it as too slow, saying it fell behind', async () => {
    const sources = [new FakeSubscription(), new FakeSubscription()];
    const subscribeToAll: jest.Mock<FakeSubscription, []> = jest.fn(() => sources[subscribeToAll.mock.calls.length - 1]);
    const store = storeWith({ subscribeToAll });
    const delivered: number[] = [];
    const onFellBehind = jest.fn();
    const onError = jest.fn();
    const firstStarted = deferred();
    const releaseFirst = deferred();
    const allHandled = deferred();
    const subscription = store.subscribeToAll({
      after: { commit: 10n, prepare: 10n },
      maxCount: 2,
      onEvents: async (events) => {
        if (delivered.length === 0) {
          firstStarted.resolve();
          await releaseFirst.promise;
        }
        delivered.push(...events.map((e) => Number(e.position.commit)));
        if (delivered.includes(50)) allHandled.resolve();
      },
      onFellBehind,
      onError,
    });
    try {
      const [first, second] = sources;
      first.write(rawEvent('a-1', 'E', 2));
      first.write(rawEvent('a-1', 'E', 3));
      await firstStarted.promise;
      // Queued but not handed over when the node drops the subscription: it comes again.
      first.write(rawEvent('a-1', 'E', 4));
      first.destroy(new TimeoutError(undefined, 'Operation timed out: Consumer too slow to handle event while live.'));
      await new Promise((resolve) => setTimeout(resolve, 10));
      releaseFirst.resolve();
      await until(async () => subscribeToAll.mock.calls.length, (calls) => calls === 2, { timeoutMs: 2000 });
      expect(subscribeToAll).toHaveBeenLastCalledWith(expect.objectContaining({ fromPosition: { commit: 30n, prepare: 30n } }));
      for (const n of [3, 4, 5]) second.write(rawEvent('a-1', 'E', n));
      await allHandled.promise;
      expect(delivered).toEqual([20, 30, 40, 50]);
      expect(onFellBehind).toHaveBeenCalledTimes(1);
      expect(onError).not.toHaveBeenCalled();
    } finally {
      await subscription.close();
    }
  });

  it('reports a drop before anything was handled since subscribing as a failure', async () => {
    const source = new FakeSubscription();
    const subscribeToAll = jest.fn(() => source);
    const store = storeWith({ subscribeToAll });
    const failed = deferred<Error>();
    const subscription = store.subscribeToAll({ onEvents: async () => undefined, onError: (error) => failed.resolve(error) });
    source.destroy(new TimeoutError(undefined, 'Operation timed out: Consumer too slow to handle event while live.'));
    await expect(failed.promise).resolves.toBeInstanceOf(EventStoreUnavailableError);
    await subscription.close();
    expect(subscribeToAll).toHaveBeenCalledTimes(1);
  });

  it('reports a failing handler through onError and stops', async () => {
    const source = new FakeSubscription();
    const store = storeWith({ subscribeToAll: () => source });
    const failed = deferred<Error>();
    const onEvents = jest.fn(async () => {
      throw new Error('projection broke');
    });
    const subscription = store.subscribeToAll({ onEvents, onError: (error) => failed.resolve(error) });
    source.write(rawEvent('a-1', 'E', 1));
    await expect(failed.promise).resolves.toThrow('projection broke');
    expect(source.unsubscribe).toHaveBeenCalled();
    await subscription.close();
    expect(onEvents).toHaveBeenCalledTimes(1);
  });
});
