import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  comparePositions,
  type EventStore,
  type EventToAppend,
  type LogPosition,
  type RecordedEvent,
  type Subscription,
} from '../event-store.port';

/** An append the store has made but not yet committed. */
export interface HeldAppend {
  commit(): Promise<void>;
}

export interface LogDeliveryHarness {
  readonly store: EventStore;
  dispose(): Promise<void>;
  /**
   * Makes an append through the store's own write path and holds it before its commit, for a
   * store where an append in progress can end up below appends that commit after it started (the
   * PostgreSQL store: positions are its transaction's). Absent where the store assigns positions
   * at commit.
   */
  readonly holdAppend?: (streamId: string, events: readonly EventToAppend[]) => Promise<HeldAppend>;
}

const DELIVERY_TIMEOUT_MS = 15_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Follows the log from `after`, under `prefix`, collecting what it is given. */
function follow(store: EventStore, after: LogPosition, prefix: string, maxCount: number) {
  const delivered: RecordedEvent[] = [];
  let failure: Error | undefined;
  const subscription: Subscription = store.subscribeToAll({
    after,
    maxCount,
    streamPrefixes: [prefix],
    onEvents: async (events) => void delivered.push(...events),
    onError: (error) => (failure = error),
  });
  return {
    delivered,
    /** Waits until `count` events have been delivered (or the timeout), then stops following. */
    async until(count: number): Promise<RecordedEvent[]> {
      const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
      while (delivered.length < count && failure === undefined && Date.now() < deadline) await sleep(5);
      await sleep(20); // time for anything delivered twice to show
      await subscription.close();
      if (failure) throw failure;
      return delivered;
    },
  };
}

/** The log under `prefix` after `after`, read again page by page. */
async function reread(store: EventStore, after: LogPosition, prefix: string): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (let position = after; ; ) {
    const page = await store.readAll({ after: position, maxCount: 50, streamPrefixes: [prefix] });
    if (page.length === 0) return all;
    all.push(...page);
    position = page[page.length - 1].position;
  }
}

/** Every event exactly once, in the order of the log as read again afterwards, each stream dense. */
function expectDeliveredAsLogged(delivered: readonly RecordedEvent[], log: readonly RecordedEvent[], written: readonly string[]): void {
  expect(delivered.map((e) => e.id)).toEqual(log.map((e) => e.id));
  expect([...log.map((e) => e.id)].sort()).toEqual([...written].sort());
  for (let i = 1; i < delivered.length; i++) expect(comparePositions(delivered[i - 1].position, delivered[i].position)).toBe(-1);
  const versions = new Map<string, number>();
  for (const event of delivered) {
    expect(event.version).toBe((versions.get(event.streamId) ?? 0) + 1);
    versions.set(event.streamId, event.version);
  }
}

/** One concurrent writer's appends: to its own stream or to one all writers share, 1-3 events each. */
const writerArbitrary = fc.array(fc.record({ shared: fc.boolean(), size: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 4 });

const scenarioArbitrary = fc.record({
  writers: fc.array(writerArbitrary, { minLength: 2, maxLength: 5 }),
  /** Appends held before their commit, each let go once a given writer has made a given number of appends. */
  held: fc.array(fc.record({ writer: fc.nat(), after: fc.nat({ max: 4 }), size: fc.integer({ min: 1, max: 2 }) }), { maxLength: 2 }),
  followerPage: fc.integer({ min: 1, max: 5 }),
  pollerPage: fc.integer({ min: 1, max: 7 }),
});

/**
 * The global log as its readers see it while many writers append to different streams at once:
 * a follower of "all" and a reader polling it get every event exactly once, in one order, the
 * order of the log read again afterwards. Own block, beside the main contract
 * (event-store.contract.ts), run on both stores.
 */
export function describeLogDeliveryContract(
  adapterName: string,
  open: () => Promise<LogDeliveryHarness>,
  options: { readonly holdsAppends: boolean },
): void {
  describe(`EventStore log delivery under concurrent writers: ${adapterName}`, () => {
    let harness: LogDeliveryHarness;

    beforeAll(async () => {
      harness = await open();
    });

    afterAll(async () => {
      await harness.dispose();
    });

    const newPrefix = () => `delivery${randomUUID().replace(/-/g, '').slice(0, 12)}-`;
    const event = (data: Record<string, unknown>): EventToAppend => ({
      id: randomUUID(),
      type: 'Delivered',
      data,
      metadata: { actor: 'contract-test' },
    });

    // Skipped where the store cannot hold an append (reason): it gives positions at commit, so no append can commit below one already read.
    (options.holdsAppends ? it : it.skip)('never moves a reader past an event that commits later with a lower position', async () => {
      const { store } = harness;
      const holdAppend = harness.holdAppend!;
      const prefix = newPrefix();
      const start = await store.headPosition();
      const follower = follow(store, start, prefix, 10);
      const early = event({ n: 1 });
      const held = await holdAppend(`${prefix}early`, [early]);
      const late = event({ n: 2 });
      await store.append(`${prefix}late`, [late], 'no_stream');
      // The later append has committed; the earlier one has not. A reader that took the later one
      // now would have to move past the earlier one's place and never see it.
      await sleep(200);
      expect(follower.delivered).toEqual([]);
      await held.commit();
      const delivered = await follower.until(2);
      const log = await reread(store, start, prefix);
      expect(delivered.map((e) => e.id)).toEqual([early.id, late.id]);
      expectDeliveredAsLogged(delivered, log, [early.id, late.id]);
    });

    it('delivers every event once, in the order of the log, to a follower and a poller, whatever the interleaving', async () => {
      const { store, holdAppend } = harness;
      await fc.assert(
        fc.asyncProperty(scenarioArbitrary, async (scenario) => {
          const prefix = newPrefix();
          const start = await store.headPosition();
          const follower = follow(store, start, prefix, scenario.followerPage);
          const written: string[] = [];

          const releases = (holdAppend ? scenario.held : []).map((spec, i) => {
            const writer = spec.writer % scenario.writers.length;
            const after = spec.after % (scenario.writers[writer].length + 1);
            const events = Array.from({ length: spec.size }, (_, n) => event({ held: i, n }));
            written.push(...events.map((e) => e.id));
            return { writer, after, held: holdAppend!(`${prefix}held${i}`, events), released: false };
          });
          const releaseAt = async (writer: number, done: number) => {
            for (const release of releases.filter((r) => !r.released && r.writer === writer && r.after <= done)) {
              release.released = true;
              await (await release.held).commit();
            }
          };
          await Promise.all(releases.map((r) => r.held));

          let writing = true;
          const polled: RecordedEvent[] = [];
          const poller = (async () => {
            let position = start;
            for (let last = false; ; ) {
              last = !writing;
              const page = await store.readAll({ after: position, maxCount: scenario.pollerPage, streamPrefixes: [prefix] });
              polled.push(...page);
              if (page.length > 0) position = page[page.length - 1].position;
              else if (last) return;
              else await sleep(2);
            }
          })();

          await Promise.all(
            scenario.writers.map(async (appends, w) => {
              await releaseAt(w, 0);
              for (const [i, append] of appends.entries()) {
                const events = Array.from({ length: append.size }, (_, n) => event({ w, i, n }));
                await store.append(append.shared ? `${prefix}shared` : `${prefix}w${w}`, events, 'any');
                written.push(...events.map((e) => e.id));
                await releaseAt(w, i + 1);
              }
            }),
          );
          for (const release of releases.filter((r) => !r.released)) await (await release.held).commit();
          writing = false;
          await poller;

          const delivered = await follower.until(written.length);
          const log = await reread(store, start, prefix);
          expectDeliveredAsLogged(delivered, log, written);
          expectDeliveredAsLogged(polled, log, written);
        }),
        { numRuns: 20, endOnFailure: true },
      );
    }, 120_000);
  });
}
