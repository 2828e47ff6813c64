import { randomUUID } from 'node:crypto';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  MaxAppendSizeExceededError,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  jsonEvent,
  type AllStreamResolvedEvent,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { describeEventStoreContract } from '@app/event-store/contract';
import { EventStoreDbEventStore } from '@app/event-store/eventstoredb';
import { eventStoreOnTestServer } from './event-store-on-test-server';
import { startEsdbTestServer, type EsdbTestServer, type EsdbTestServerOptions } from './index';

// The shared contract, through the real adapter and client, once per append path, with system
// events written often between the contract's own. The adapter only ever sends positions the node
// gave (or START): none is refused.
describe.each<[string, EsdbTestServerOptions]>([
  ['', { statsPeriodMs: 50 }],
  [', Append instead of BatchAppend', { batchAppend: false, statsPeriodMs: 20 }],
])('EventStoreDB test server%s', (label, options) => {
  describeEventStoreContract(`EventStoreDB (test server${label})`, async () => {
    const opened = await eventStoreOnTestServer(options);
    return {
      store: opened.store,
      dispose: async () => {
        await opened.dispose();
        expect(opened.server.counters.refusedPositions).toBe(0);
      },
    };
  });
});

const stream = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
const events = (...types: string[]) => types.map((type, i) => jsonEvent({ id: randomUUID(), type, data: { i } }));

async function collect<T>(read: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of read) out.push(item);
  return out;
}

function comparePosition(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

describe.each<[string, EsdbTestServerOptions]>([
  ['BatchAppend', {}],
  ['Append', { batchAppend: false }],
])('EventStoreDB test server through the client (%s)', (_label, options) => {
  let server: EsdbTestServer;
  let client: EventStoreDBClient;

  beforeAll(async () => {
    server = await startEsdbTestServer({ port: 0, statsPeriodMs: 0, ...options });
    client = EventStoreDBClient.connectionString(server.url);
  });

  afterAll(async () => {
    await client.dispose();
    await server.stop();
  });

  it('reads a stream backwards, from the end and from a revision', async () => {
    const name = stream('back');
    await client.appendToStream(name, events('A', 'B', 'C', 'D'), { expectedRevision: 'no_stream' });
    const fromEnd = await collect(client.readStream(name, { direction: BACKWARDS, fromRevision: END, maxCount: 3 }));
    expect(fromEnd.map((e) => [e.event?.type, e.event?.revision])).toEqual([
      ['D', 3n],
      ['C', 2n],
      ['B', 1n],
    ]);
    const fromTwo = await collect(client.readStream(name, { direction: BACKWARDS, fromRevision: 2n }));
    expect(fromTwo.map((e) => e.event?.type)).toEqual(['C', 'B', 'A']);
    const forwardFromOne = await collect(client.readStream(name, { direction: FORWARDS, fromRevision: 1n, maxCount: 2 }));
    expect(forwardFromOne.map((e) => e.event?.type)).toEqual(['B', 'C']);
  });

  it('reads $all backwards, with system events, and pages backwards without duplicates', async () => {
    const name = stream('allback');
    await client.appendToStream(name, events('X', 'Y'), { expectedRevision: 'no_stream' });
    const system = server.writeSystemEvent('$stats-test', '$statsCollected', { n: 1 });
    const head = await collect(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 3 }));
    expect(head.map((e) => [e.event?.streamId, e.event?.type])).toEqual([
      ['$stats-test', '$statsCollected'],
      [name, 'Y'],
      [name, 'X'],
    ]);
    expect(head[0].event?.position).toEqual(system.position);

    const everything = await collect(client.readAll({ direction: FORWARDS, fromPosition: START }));
    const pagedBackwards: AllStreamResolvedEvent[] = [];
    let from: Position | typeof END = END;
    for (;;) {
      const page = await collect(client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: 4 }));
      if (page.length === 0) break;
      pagedBackwards.push(...page);
      from = page[page.length - 1].event?.position as Position;
    }
    expect(pagedBackwards.map((e) => e.event?.id).reverse()).toEqual(everything.map((e) => e.event?.id));
    // The node's own epochs are in the log but never shown in $all.
    expect(everything.filter((e) => e.event?.streamId === '$epoch-information')).toEqual([]);
  });

  it('reads $all forwards from a position inclusively', async () => {
    const name = stream('allfwd');
    await client.appendToStream(name, events('P', 'Q', 'R'), { expectedRevision: 'no_stream' });
    const [, q] = await collect(client.readStream(name));
    const fromQ = await collect(client.readAll({ fromPosition: q.event?.position as Position, maxCount: 2 }));
    expect(fromQ.map((e) => e.event?.type)).toEqual(['Q', 'R']);
  });

  it('gives each event of an append its own byte-offset position, commit equal to prepare, and reports the last one', async () => {
    const name = stream('pos');
    const result = await client.appendToStream(name, events('A', 'B', 'C'), { expectedRevision: 'no_stream' });
    const read = await collect(client.readStream(name));
    const positions = read.map((e) => e.event?.position as Position);
    for (const position of positions) expect(position.prepare).toBe(position.commit);
    expect(comparePosition(positions[0], positions[1])).toBe(-1);
    expect(comparePosition(positions[1], positions[2])).toBe(-1);
    // Offsets of records in the log, not counts.
    expect(positions[2].commit - positions[1].commit).toBeGreaterThan(1n);
    expect(result.position).toEqual(positions[2]);
    expect(read[0].event?.created).toBeInstanceOf(Date);
    expect(Math.abs((read[0].event?.created as Date).getTime() - Date.now())).toBeLessThan(60_000);
    expect(read[0].event?.isJson).toBe(true);
  });

  it('raises StreamNotFoundError for a stream that does not exist', async () => {
    await expect(collect(client.readStream(stream('missing')))).rejects.toBeInstanceOf(StreamNotFoundError);
    await expect(collect(client.readStream(stream('missing'), { direction: BACKWARDS, fromRevision: END }))).rejects.toBeInstanceOf(
      StreamNotFoundError,
    );
  });

  it('reports a wrong expected version with the actual revision, or no_stream', async () => {
    const name = stream('wev');
    await client.appendToStream(name, events('A', 'B'), { expectedRevision: 'no_stream' });
    const stale = client.appendToStream(name, events('C'), { expectedRevision: 0n });
    await expect(stale).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await expect(stale).rejects.toMatchObject({ streamName: name, actualVersion: 1n, expectedVersion: 0n });
    await expect(client.appendToStream(name, events('C'), { expectedRevision: 'no_stream' })).rejects.toMatchObject({
      actualVersion: 1n,
      expectedVersion: 'no_stream',
    });
    const missing = stream('wev-missing');
    await expect(client.appendToStream(missing, events('A'), { expectedRevision: 'stream_exists' })).rejects.toMatchObject({
      actualVersion: 'no_stream',
      expectedVersion: 'stream_exists',
    });
    await expect(client.appendToStream(missing, events('A'), { expectedRevision: 3n })).rejects.toMatchObject({
      actualVersion: 'no_stream',
    });
  });

  it('treats a retry of the same events as done, at an exact revision and with any', async () => {
    const name = stream('idem');
    const first = events('A', 'B');
    const original = await client.appendToStream(name, first, { expectedRevision: 'no_stream' });
    const retry = await client.appendToStream(name, first, { expectedRevision: 'no_stream' });
    expect(retry).toEqual(original);
    const next = events('C');
    await client.appendToStream(name, next, { expectedRevision: 1n });
    await expect(client.appendToStream(name, first, { expectedRevision: 'any' })).resolves.toMatchObject({ nextExpectedRevision: 1n });
    await expect(client.appendToStream(name, next, { expectedRevision: 1n })).resolves.toMatchObject({ nextExpectedRevision: 2n });
    // Not the same events at that place: a conflict, not a retry.
    await expect(client.appendToStream(name, [first[1], events('New')[0]], { expectedRevision: 0n })).rejects.toBeInstanceOf(
      WrongExpectedVersionError,
    );
    expect((await collect(client.readStream(name))).map((e) => e.event?.type)).toEqual(['A', 'B', 'C']);
  });

  it('rejects an append above the maximum append size', async () => {
    const big = jsonEvent({ type: 'Big', data: { blob: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(client.appendToStream(stream('big'), big)).rejects.toBeInstanceOf(MaxAppendSizeExceededError);
  });

  it('filters a subscription to $all by event type prefix on the server, with checkpoints', async () => {
    const prefix = `T${randomUUID().slice(0, 6)}`;
    const name = stream('filtered');
    await client.appendToStream(name, [
      ...events(`${prefix}One`, 'Other', `${prefix}Two`),
      ...Array.from({ length: 40 }, () => jsonEvent({ type: 'Noise', data: {} })),
    ]);
    const checkpoints: Position[] = [];
    const subscription = client.subscribeToAll({
      fromPosition: START,
      filter: eventTypeFilter({ prefixes: [prefix], checkpointInterval: 1, checkpointReached: (_s, position) => void checkpoints.push(position) }),
    });
    const received: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        subscription.on('error', reject);
        subscription.on('data', (resolved: AllStreamResolvedEvent) => {
          received.push(resolved.event?.type as string);
          if (received.length === 3) resolve();
        });
        subscription.on('caughtUp', () => void client.appendToStream(name, events('Noise', `${prefix}Three`)).catch(reject));
      });
    } finally {
      await subscription.unsubscribe();
    }
    expect(received).toEqual([`${prefix}One`, `${prefix}Two`, `${prefix}Three`]);
    // One checkpoint per 32 events scanned (the search window), whatever they matched.
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < checkpoints.length; i++) expect(comparePosition(checkpoints[i - 1], checkpoints[i])).toBe(-1);
  });

  it('emits caughtUp once a subscription to a stream has read what exists, then delivers live events', async () => {
    const name = stream('live');
    await client.appendToStream(name, events('A', 'B', 'C'), { expectedRevision: 'no_stream' });
    const subscription = client.subscribeToStream(name, { fromRevision: 0n });
    const seen: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        subscription.on('error', reject);
        subscription.on('data', (resolved: ResolvedEvent) => {
          seen.push(resolved.event?.type as string);
          if (seen.includes('D')) resolve();
        });
        subscription.on('caughtUp', () => {
          seen.push('caughtUp');
          void client.appendToStream(name, events('D'), { expectedRevision: 2n }).catch(reject);
        });
      });
    } finally {
      await subscription.unsubscribe();
    }
    // From revision 0 is exclusive: the catch-up starts at revision 1.
    expect(seen).toEqual(['B', 'C', 'caughtUp', 'D']);
  });

  it('answers ServerFeatures with the methods it serves', async () => {
    const { StreamsService } = await import('@eventstore/db-client/generated/streams_grpc_pb');
    const supports = (client as unknown as { supports: (method: unknown) => Promise<boolean> }).supports;
    await expect(supports(StreamsService.read)).resolves.toBe(true);
    await expect(supports(StreamsService.batchAppend)).resolves.toBe(options.batchAppend !== false);
    await expect(supports(StreamsService.delete)).resolves.toBe(false);
  });
});

/**
 * When the server reports no position for an idempotent retry (older servers; recent ones on
 * deleted streams), the adapter reads the position back; that read must be drained, or the
 * client's dispose() waits for the open gRPC call for ever.
 */
describe('EventStoreDB adapter against the test server: retries reported without a position', () => {
  it('closes promptly after such a retry', async () => {
    const server = await startEsdbTestServer({ port: 0, batchAppend: false, idempotentPosition: 'none' });
    const client = EventStoreDBClient.connectionString(server.url);
    const store = new EventStoreDbEventStore(client);
    try {
      const name = stream('noposition');
      const batch = ['A', 'B'].map((type) => ({ id: randomUUID(), type, data: {}, metadata: {} }));
      const first = await store.append(name, batch, 'no_stream');
      const retry = await store.append(name, batch, 'no_stream');
      expect(retry).toEqual(first);
      await store.readStream(name);
      const closed = store.close();
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([
        closed.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 2000))),
      ]).finally(() => clearTimeout(timer));
      if (!inTime) {
        // Release the stuck call so that nothing outlives the test.
        for (const call of (client as unknown as { disposableStreams: Set<{ destroy(): void }> }).disposableStreams) call.destroy();
        await closed;
      }
      expect(inTime).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
