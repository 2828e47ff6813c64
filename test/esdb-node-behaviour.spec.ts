import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import {
  BACKWARDS,
  EventStoreDBClient,
  FORWARDS,
  START,
  TimeoutError,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import * as shared from '@eventstore/db-client/generated/shared_pb';
import { StreamsClient } from '@eventstore/db-client/generated/streams_grpc_pb';
import { BatchAppendReq, type BatchAppendResp } from '@eventstore/db-client/generated/streams_pb';
import { EventStoreUnavailableError } from '@app/event-store';
import { EventStoreDbEventStore } from '@app/event-store/eventstoredb';
import type { EsdbTestServer } from '../tools/esdb-test-server';
import { grpcChannelOf, itOnTestServer, withEsdbNode, type EsdbNode } from './support/esdb-node';
import { until } from '@app/testing';

/**
 * How an EventStoreDB node behaves where the project's EventStoreDB path meets it (issue 18):
 * positions within an append, the node's own system events, BatchAppend deadlines and conflicts,
 * positions where no event starts, and a live subscriber too slow for the appends. Runs against
 * the real node in TEST_ESDB_URL (`npm run test:esdb-real`), else against test servers, so that
 * the test server is held to what a real node does. What needs the test server's settings runs
 * on it only. docs/esdb-test-server.md cites the KurrentDB sources behind each point.
 */

const stream = (label: string) => `node-${label}-${randomUUID().slice(0, 8)}`;
const payload = 'x'.repeat(400);
const events = (count: number, type = 'Noted') => Array.from({ length: count }, (_, i) => jsonEvent({ id: randomUUID(), type, data: { i, payload } }));

async function collect<T>(read: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of read) out.push(item);
  return out;
}

function withClient<T>(node: EsdbNode, run: (client: EventStoreDBClient) => Promise<T>): Promise<T> {
  const client = EventStoreDBClient.connectionString(node.url);
  return run(client).finally(() => client.dispose());
}

/** One BatchAppend request (the whole batch), answered by one response: what the client sends, with what it does not let us choose. */
async function rawBatchAppend(node: EsdbNode, streamName: string, setOptions: (options: BatchAppendReq.Options) => void): Promise<BatchAppendResp> {
  const { target, credentials } = grpcChannelOf(node.url);
  const client = new StreamsClient(target, credentials);
  try {
    return await new Promise<BatchAppendResp>((resolve, reject) => {
      const call = client.batchAppend();
      call.on('data', (response: BatchAppendResp) => {
        resolve(response);
        call.end();
      });
      call.on('error', reject);
      const options = new BatchAppendReq.Options();
      const identifier = new shared.StreamIdentifier();
      identifier.setStreamName(Buffer.from(streamName));
      options.setStreamIdentifier(identifier);
      options.setAny(new Empty());
      setOptions(options);
      const message = new BatchAppendReq.ProposedMessage();
      const id = new shared.UUID();
      id.setString(randomUUID());
      message.setId(id);
      message.getMetadataMap().set('type', 'Raw');
      message.getMetadataMap().set('content-type', 'application/json');
      message.setData(Buffer.from('{}'));
      const request = new BatchAppendReq();
      const correlation = new shared.UUID();
      correlation.setString(randomUUID());
      request.setCorrelationId(correlation);
      request.setOptions(options);
      request.addProposedMessages(message);
      request.setIsFinal(true);
      call.write(request);
    });
  } finally {
    client.close();
  }
}

describe('EventStoreDB node: positions', () => {
  it.each([
    ['BatchAppend', true],
    ['Append', false],
  ])('gives each event of one append its own position, commit equal to prepare, and reports the last (%s)', async (_label, batchAppend) => {
    await withEsdbNode({ batchAppend }, (node) =>
      withClient(node, async (client) => {
        const name = stream('positions');
        const result = await client.appendToStream(name, events(3), { expectedRevision: 'no_stream' });
        const positions = (await collect(client.readStream(name))).map((e) => e.event?.position as Position);
        for (const position of positions) expect(position.commit).toBe(position.prepare);
        expect(positions[0].commit < positions[1].commit && positions[1].commit < positions[2].commit).toBe(true);
        expect(result.position).toEqual(positions[2]);
      }),
    );
  });

  it('reads $all from an event position inclusively forwards and exclusively backwards', async () => {
    await withEsdbNode({}, (node) =>
      withClient(node, async (client) => {
        const name = stream('around');
        await client.appendToStream(name, events(3), { expectedRevision: 'no_stream' });
        const [first, second] = await collect(client.readStream(name));
        const at = second.event?.position as Position;
        const forwards = await collect(client.readAll({ direction: FORWARDS, fromPosition: at, maxCount: 1 }));
        const backwards = await collect(client.readAll({ direction: BACKWARDS, fromPosition: at, maxCount: 1 }));
        expect(forwards[0].event?.id).toBe(second.event?.id);
        expect(backwards[0].event?.id).toBe(first.event?.id);
      }),
    );
  });
});

describe('EventStoreDB node: its own events', () => {
  it('writes an epoch when it starts, in $epoch-information, which $all never shows; and no $settings', async () => {
    await withEsdbNode({}, (node) =>
      withClient(node, async (client) => {
        const [first] = await collect(client.readStream('$epoch-information', { maxCount: 1 }));
        expect(first.event?.type).toBe('$epoch-information');
        expect(Object.keys(first.event?.data as object).sort()).toEqual(
          ['epochId', 'epochNumber', 'epochPosition', 'leaderInstanceId', 'prevEpochPosition', 'timeStamp'].sort(),
        );
        const all = await collect(client.readAll({ fromPosition: START, maxCount: 1000 }));
        expect(all.filter((e) => e.event?.streamId === '$epoch-information')).toEqual([]);
        await expect(collect(client.readStream('$settings'))).rejects.toThrow(/not found/i);
      }),
    );
  });

  itOnTestServer('writes $statsCollected on a timer, not with appends, and a new epoch at every start', async () => {
    await withEsdbNode({ statsPeriodMs: 40 }, (node) =>
      withClient(node, async (client) => {
        const server = node.server!;
        const statsStream = `$stats-127.0.0.1:${server.port}`;
        const stats = () => collect(client.readStream(statsStream)).catch(() => []);
        // No appends at all, and yet they come.
        const written = await until(stats, (read) => read.length >= 3, { what: 'Stats events', timeoutMs: 5000 });
        expect(written.every((e) => e.event?.type === '$statsCollected')).toBe(true);
        const [metadata] = await collect(client.readStream(`$$${statsStream}`));
        expect([metadata.event?.type, metadata.event?.data]).toEqual(['$metadata', { $maxAge: 864000 }]);

        await server.goDown();
        await server.comeBack();
        const epochs = await until(
          () => collect(client.readStream('$epoch-information')).catch(() => [] as ResolvedEvent[]),
          (read) => read.length === 2,
          { what: 'A second epoch', timeoutMs: 10_000 },
        );
        const [before, after] = epochs.map((e) => e.event?.data as { epochNumber: number; epochPosition: number; prevEpochPosition: number });
        expect(after).toMatchObject({ epochNumber: 1, prevEpochPosition: before.epochPosition });
      }),
    );
  });
});

describe('EventStoreDB node: BatchAppend', () => {
  it('answers a batch whose deadline has passed with Timeout (DEADLINE_EXCEEDED), writing nothing', async () => {
    await withEsdbNode({}, async (node) => {
      const name = stream('late');
      const response = await rawBatchAppend(node, name, (options) => options.setDeadline(Timestamp.fromDate(new Date(Date.now() - 1000))));
      const error = response.getError();
      expect(error?.getCode()).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(error?.getDetails()?.getTypeName()).toBe('event_store.client.Timeout');
      await withClient(node, (client) => expect(collect(client.readStream(name))).rejects.toThrow(/not found/i));
    });
  });

  it('answers a conflict with ALREADY_EXISTS and the WrongExpectedVersion detail', async () => {
    await withEsdbNode({}, (node) =>
      withClient(node, async (client) => {
        const name = stream('conflict');
        await client.appendToStream(name, events(1), { expectedRevision: 'no_stream' });
        const response = await rawBatchAppend(node, name, (options) => options.setNoStream(new Empty()));
        const error = response.getError();
        expect(error?.getCode()).toBe(grpc.status.ALREADY_EXISTS);
        const details = error?.getDetails()?.unpack(shared.WrongExpectedVersion.deserializeBinary, 'event_store.client.WrongExpectedVersion');
        expect(details?.getCurrentStreamRevision()).toBe('0');
        expect(details?.hasExpectedNoStream()).toBe(true);
      }),
    );
  });

  describe.each([
    ['BatchAppend', true],
    ['Append', false],
  ])('a write the node confirms too late (%s)', (_label, batchAppend) => {
    /** The adapter on a test server whose writes time out after `writeTimeoutMs`. */
    const withSlowWrites = (writeTimeoutMs: number, run: (store: EventStoreDbEventStore, server: EsdbTestServer) => Promise<void>) =>
      withEsdbNode({ batchAppend, writeTimeoutMs }, async (node) => {
        const store = EventStoreDbEventStore.fromConnectionString(node.url);
        await run(store, node.server!).finally(() => store.close());
      });

    itOnTestServer('is sent again by the adapter with the same ids and written once', async () => {
      await withSlowWrites(200, async (store, server) => {
        const name = stream('retried');
        await store.append(name, [{ id: randomUUID(), type: 'First', data: {}, metadata: {} }], 'no_stream');
        // The first attempt takes 300 ms: answered Timeout at 200 ms, it lands at 300 ms; the retry, in its turn, finds it there.
        server.setWriteDelay(300);
        const batch = ['A', 'B'].map((type) => ({ id: randomUUID(), type, data: {}, metadata: {} }));
        const appended = store.append(name, batch, 1);
        await until(async () => server.counters.timedOutWrites, (n) => n === 1, { what: 'The first attempt timed out', timeoutMs: 5000, pollMs: 5 });
        server.setWriteDelay(0);
        const result = await appended;
        const read = await store.readStream(name);
        expect(read.map((e) => e.type)).toEqual(['First', 'A', 'B']);
        expect(read.map((e) => e.id).slice(1)).toEqual(batch.map((e) => e.id));
        expect(result).toEqual({ nextExpectedVersion: 3, position: read[2].position });
      });
    });

    itOnTestServer('fails as unavailable when never confirmed in time, and still lands at most once', async () => {
      await withSlowWrites(30, async (store, server) => {
        const name = stream('unconfirmed');
        // Each attempt takes 150 ms, one after the other, each answered Timeout at 30 ms.
        server.setWriteDelay(150);
        const batch = [{ id: randomUUID(), type: 'Slow', data: {}, metadata: {} }];
        await expect(store.append(name, batch, 'no_stream')).rejects.toBeInstanceOf(EventStoreUnavailableError);
        server.setWriteDelay(0);
        expect(server.counters.timedOutWrites).toBe(3);
        // Every attempt lands in its turn (at 150, 300 and 450 ms): the first writes, the others find it there.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        expect((await store.readStream(name)).map((e) => e.id)).toEqual([batch[0].id]);
      });
    });
  });
});

describe('EventStoreDB node: positions where no event starts', () => {
  it('refuses reads and subscriptions from them with INVALID_ARGUMENT; the adapter names them', async () => {
    await withEsdbNode({}, (node) =>
      withClient(node, async (client) => {
        const name = stream('madeup');
        await client.appendToStream(name, events(3), { expectedRevision: 'no_stream' });
        const [first] = await collect(client.readStream(name));
        const inside = { commit: (first.event?.position as Position).commit + 7n, prepare: (first.event?.position as Position).prepare + 7n };
        const refused = expect.objectContaining({ code: grpc.status.INVALID_ARGUMENT, message: expect.stringMatching(/invalid position/i) });
        await expect(collect(client.readAll({ fromPosition: inside, maxCount: 2 }))).rejects.toEqual(refused);
        await expect(collect(client.readAll({ direction: BACKWARDS, fromPosition: inside, maxCount: 2 }))).rejects.toEqual(refused);
        const subscription = client.subscribeToAll({ fromPosition: inside });
        await expect(
          new Promise((resolve, reject) => {
            subscription.on('data', resolve);
            subscription.on('error', reject);
          }),
        ).rejects.toEqual(refused);
        await subscription.unsubscribe();

        const store = new EventStoreDbEventStore(client);
        await expect(store.readAll({ after: inside })).rejects.toThrow(/refused a position where no event starts/);
        if (node.server) expect(node.server.counters.refusedPositions).toBe(4);
      }),
    );
  });
});

describe('EventStoreDB node: a live subscriber too slow for the appends', () => {
  /**
   * Subscribes to a fresh stream, stops reading once it is live, appends `total` events (far
   * more than the node buffers), then reads again: what arrives, and what else the client says.
   */
  async function slowSubscriber(client: EventStoreDBClient, total: number) {
    const name = stream('slow');
    const subscription = client.subscribeToStream(name);
    const seen: string[] = [];
    const received: number[] = [];
    let failure: Error | undefined;
    subscription.on('caughtUp', () => seen.push('caughtUp'));
    subscription.on('fellBehind', () => seen.push('fellBehind'));
    subscription.on('error', (error: Error) => (failure = error));
    await until(async () => seen.length, (n) => n >= 1, { what: 'The subscription live', timeoutMs: 10_000 });
    // Nothing reads the subscription now: gRPC flow control holds the node back, its live buffer fills.
    for (let start = 0; start < total; start += 100) {
      await client.appendToStream(name, events(100).map((event, i) => ({ ...event, data: { n: start + i, payload } })), {
        expectedRevision: start === 0 ? 'no_stream' : BigInt(start - 1),
      });
    }
    subscription.on('data', (resolved: ResolvedEvent) => void received.push((resolved.event?.data as { n: number }).n));
    await until(
      async () => ({ received: received.length, failed: failure !== undefined, caughtUp: seen.filter((signal) => signal === 'caughtUp').length }),
      (state) => state.failed || (state.received >= total && state.caughtUp >= 2),
      { what: 'Every event and caughtUp again, or the subscription ended', timeoutMs: 30_000 },
    );
    await subscription.unsubscribe();
    return { received, seen, failure };
  }

  it('falls behind, catches up from the log and is told caughtUp again: every event once, in order', async () => {
    await withEsdbNode({}, (node) =>
      withClient(node, async (client) => {
        const { received, seen, failure } = await slowSubscriber(client, 2000);
        expect(failure).toBeUndefined();
        expect(received).toEqual(Array.from({ length: 2000 }, (_, i) => i));
        expect(seen.filter((signal) => signal === 'caughtUp').length).toBeGreaterThanOrEqual(2);
        // KurrentDB does not send fell_behind to gRPC clients.
        expect(seen).not.toContain('fellBehind');
        if (node.server) expect(node.server.counters.fellBehind).toBeGreaterThanOrEqual(1);
      }),
    );
  });

  itOnTestServer('is told fellBehind first when the test server is asked to send it', async () => {
    await withEsdbNode({ announceFellBehind: true }, (node) =>
      withClient(node, async (client) => {
        const { received, seen } = await slowSubscriber(client, 1000);
        expect(received).toEqual(Array.from({ length: 1000 }, (_, i) => i));
        const firstFellBehind = seen.indexOf('fellBehind');
        expect(firstFellBehind).toBeGreaterThan(0);
        expect(seen.slice(firstFellBehind)).toContain('caughtUp');
      }),
    );
  });

  itOnTestServer('before 24.2 (drop): is ended with TimeoutError (ABORTED) after the events it had, in order', async () => {
    await withEsdbNode({ slowSubscriber: 'drop' }, (node) =>
      withClient(node, async (client) => {
        const { received, failure } = await slowSubscriber(client, 1000);
        expect(failure).toBeInstanceOf(TimeoutError);
        expect(failure?.message).toMatch(/Consumer too slow/);
        expect(received.length).toBeLessThan(1000);
        expect(received).toEqual(Array.from({ length: received.length }, (_, i) => i));
        expect(node.server?.counters.dropped).toBe(1);
      }),
    );
  });
});

// Filtered $all subscriptions meet the same back-pressure; the adapter always subscribes with a filter.
describe('EventStoreDB node: a filtered subscription to $all', () => {
  it('delivers every matching event once, in order, whatever it meets on the way', async () => {
    await withEsdbNode({ statsPeriodMs: 5 }, (node) =>
      withClient(node, async (client) => {
        const prefix = `filtered${randomUUID().slice(0, 6)}-`;
        const received: string[] = [];
        const subscription = client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ prefixes: [prefix] }) });
        subscription.on('data', (resolved: AllStreamResolvedEvent) => void received.push(resolved.event?.id as string));
        const written: string[] = [];
        for (let i = 0; i < 20; i++) {
          const batch = events(5);
          written.push(...batch.map((e) => e.id as string));
          await client.appendToStream(`${prefix}${i % 4}`, batch);
        }
        await until(async () => received.length, (n) => n >= written.length, { what: 'Every matching event', timeoutMs: 10_000 });
        await subscription.unsubscribe();
        expect(received).toEqual(written);
      }),
    );
  });
});
