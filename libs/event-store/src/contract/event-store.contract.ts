import { randomUUID } from 'node:crypto';
import {
  comparePositions,
  UnstorableEventError,
  WrongExpectedVersionError,
  type EventStore,
  type EventToAppend,
  type RecordedEvent,
} from '../event-store.port';

/**
 * The one contract every event-store adapter passes. Each test writes to streams under a prefix
 * of its own, so the suite also runs against a shared, non-empty server (a real EventStoreDB).
 */
export function describeEventStoreContract(
  adapterName: string,
  openStore: () => Promise<{ store: EventStore; dispose: () => Promise<void> }>,
): void {
  describe(`EventStore contract: ${adapterName}`, () => {
    let store: EventStore;
    let dispose: () => Promise<void>;

    beforeAll(async () => {
      ({ store, dispose } = await openStore());
    });

    afterAll(async () => {
      await dispose();
    });

    const newPrefix = () => `contract${randomUUID().replace(/-/g, '').slice(0, 12)}-`;
    const event = (type: string, data: Record<string, unknown> = {}): EventToAppend => ({
      id: randomUUID(),
      type,
      data,
      metadata: { actor: 'contract-test', occurredOn: '2024-01-01' },
    });

    async function readAllUnder(prefix: string, pageSize = 100): Promise<RecordedEvent[]> {
      const seen: RecordedEvent[] = [];
      let after = undefined as RecordedEvent['position'] | undefined;
      for (;;) {
        const page = await store.readAll({ after, maxCount: pageSize, streamPrefixes: [prefix] });
        if (page.length === 0) return seen;
        seen.push(...page);
        after = page[page.length - 1].position;
      }
    }

    it('appends events to a new stream and reads them back in order, as written', async () => {
      const stream = `${newPrefix()}s`;
      const events = [event('Registered', { n: 1, nested: { a: [1, 2] } }), event('Housed', { n: 2 })];
      const result = await store.append(stream, events, 'no_stream');
      expect(result.nextExpectedVersion).toBe(2);

      const read = await store.readStream(stream);
      expect(read.map((e) => [e.id, e.type, e.version, e.streamId])).toEqual([
        [events[0].id, 'Registered', 1, stream],
        [events[1].id, 'Housed', 2, stream],
      ]);
      expect(read[0].data).toEqual({ n: 1, nested: { a: [1, 2] } });
      expect(read[0].metadata).toEqual(events[0].metadata);
      expect(read[0].createdAt).toBeInstanceOf(Date);
      expect(comparePositions(read[0].position, read[1].position)).toBe(-1);
      expect(comparePositions(read[1].position, result.position)).toBe(0);
    });

    it('returns an empty list for a stream that does not exist', async () => {
      await expect(store.readStream(`${newPrefix()}missing`)).resolves.toEqual([]);
    });

    it('reads a stream from a version, with a maximum count', async () => {
      const stream = `${newPrefix()}s`;
      await store.append(stream, [1, 2, 3, 4, 5].map((n) => event('E', { n })), 'no_stream');
      const read = await store.readStream(stream, { fromVersion: 2, maxCount: 3 });
      expect(read.map((e) => e.version)).toEqual([2, 3, 4]);
    });

    it('appends at an exact expected version and rejects a stale one, appending nothing', async () => {
      const stream = `${newPrefix()}s`;
      await store.append(stream, [event('A')], 'no_stream');
      await expect(store.append(stream, [event('B')], 1)).resolves.toMatchObject({ nextExpectedVersion: 2 });

      const rejected = store.append(stream, [event('C'), event('D')], 1);
      await expect(rejected).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await expect(rejected).rejects.toMatchObject({ streamId: stream, actual: 2 });
      expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A', 'B']);
    });

    it('honours no_stream, stream_exists and any', async () => {
      const stream = `${newPrefix()}s`;
      await expect(store.append(stream, [event('A')], 'stream_exists')).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await store.append(stream, [event('A')], 0);
      await expect(store.append(stream, [event('B')], 'no_stream')).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await expect(store.append(stream, [event('B')], 'stream_exists')).resolves.toMatchObject({ nextExpectedVersion: 2 });
      await expect(store.append(stream, [event('C')], 'any')).resolves.toMatchObject({ nextExpectedVersion: 3 });
      await expect(store.append(`${newPrefix()}fresh`, [event('A')], 'any')).resolves.toMatchObject({
        nextExpectedVersion: 1,
      });
    });

    it('treats a retried append with the same event ids as already done', async () => {
      const stream = `${newPrefix()}s`;
      const batch = [event('A'), event('B')];
      const first = await store.append(stream, batch, 'no_stream');
      const retry = await store.append(stream, batch, 'no_stream');
      expect(retry.nextExpectedVersion).toBe(first.nextExpectedVersion);
      expect(comparePositions(retry.position, first.position)).toBe(0);
      expect(await store.readStream(stream)).toHaveLength(2);
    });

    it('lets exactly one of several concurrent writers at the same version win', async () => {
      const stream = `${newPrefix()}s`;
      await store.append(stream, [event('A')], 'no_stream');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => store.append(stream, [event('B', { writer: i })], 1)),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
      }
      expect((await store.readStream(stream)).map((e) => e.version)).toEqual([1, 2]);
    });

    it('reads all from a checkpoint in log order, page by page, without gaps or duplicates', async () => {
      const prefix = newPrefix();
      const written: string[] = [];
      for (let i = 0; i < 12; i++) {
        const batch = [event('E', { i }), event('F', { i })];
        await store.append(`${prefix}${i % 3}`, batch, 'any');
        written.push(...batch.map((e) => e.id));
      }
      const all = await readAllUnder(prefix, 5);
      expect(all.map((e) => e.id)).toEqual(written);
      for (let i = 1; i < all.length; i++) expect(comparePositions(all[i - 1].position, all[i].position)).toBe(-1);

      const fromMiddle = await store.readAll({ after: all[9].position, maxCount: 3, streamPrefixes: [prefix] });
      expect(fromMiddle.map((e) => e.id)).toEqual(written.slice(10, 13));
    });

    it('counts the events after a position as readAll reads them, up to a cap, with the oldest one\'s time', async () => {
      const prefix = newPrefix();
      const other = newPrefix();
      for (let i = 0; i < 9; i++) {
        await store.append(`${prefix}${i % 2}`, [event('E', { i }), event('F', { i })], 'any');
        await store.append(`${other}x`, [event('G', { i })], 'any');
      }
      const all = await readAllUnder(prefix, 5);
      expect(all).toHaveLength(18);
      const oldestOf = (events: readonly RecordedEvent[]) => new Date(Math.min(...events.map((e) => e.createdAt.getTime())));

      expect(await store.countAll({ streamPrefixes: [prefix], upTo: 100 })).toEqual({ events: 18, oldestCreatedAt: oldestOf(all) });
      // From a checkpoint: only what follows it, and the oldest among those.
      expect(await store.countAll({ after: all[10].position, streamPrefixes: [prefix], upTo: 100 })).toEqual({
        events: 7,
        oldestCreatedAt: oldestOf(all.slice(11)),
      });
      // Capped: the first events in log order, no more.
      expect(await store.countAll({ after: all[2].position, streamPrefixes: [prefix], upTo: 4 })).toEqual({
        events: 4,
        oldestCreatedAt: oldestOf(all.slice(3, 7)),
      });
      // Two prefixes count both; nothing after the last one; a cap of 0 counts nothing.
      expect((await store.countAll({ after: all[0].position, streamPrefixes: [prefix, other], upTo: 100 })).events).toBe(17 + 9);
      expect(await store.countAll({ after: all[17].position, streamPrefixes: [prefix], upTo: 100 })).toEqual({ events: 0, oldestCreatedAt: null });
      expect(await store.countAll({ streamPrefixes: [prefix], upTo: 0 })).toEqual({ events: 0, oldestCreatedAt: null });
    });

    it('never lets a reader of all skip an event that commits concurrently', async () => {
      const prefix = newPrefix();
      const writers = Array.from({ length: 6 }, (_, w) =>
        (async () => {
          const ids: string[] = [];
          for (let i = 0; i < 10; i++) {
            const e = event('E', { w, i });
            await store.append(`${prefix}${w}`, [e], 'any');
            ids.push(e.id);
          }
          return ids;
        })(),
      );
      const seen: RecordedEvent[] = [];
      let writing = true;
      const all = Promise.all(writers).finally(() => (writing = false));
      let after: RecordedEvent['position'] | undefined;
      while (writing) {
        const page = await store.readAll({ after, maxCount: 7, streamPrefixes: [prefix] });
        if (page.length > 0) {
          seen.push(...page);
          after = page[page.length - 1].position;
        }
      }
      const written = (await all).flat();
      for (;;) {
        const page = await store.readAll({ after, maxCount: 7, streamPrefixes: [prefix] });
        if (page.length === 0) break;
        seen.push(...page);
        after = page[page.length - 1].position;
      }
      expect(seen.map((e) => e.id).sort()).toEqual([...written].sort());
      expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    });

    it('follows the log: catches up from a checkpoint, then delivers live appends', async () => {
      const prefix = newPrefix();
      await store.append(`${prefix}a`, [event('Old1'), event('Old2')], 'no_stream');
      const [checkpoint] = await store.readAll({ maxCount: 1, streamPrefixes: [prefix] });

      const received: RecordedEvent[] = [];
      let caughtUp!: () => void;
      const caughtUpOnce = new Promise<void>((resolve) => (caughtUp = resolve));
      let wanted = { count: 0, reached: () => undefined as void };
      const subscription = store.subscribeToAll({
        after: checkpoint.position,
        streamPrefixes: [prefix],
        onEvents: async (events) => {
          received.push(...events);
          if (received.length >= wanted.count) wanted.reached();
        },
        onCaughtUp: () => caughtUp(),
      });
      try {
        await caughtUpOnce;
        expect(received.map((e) => e.type)).toEqual(['Old2']);
        const live = new Promise<void>((resolve) => (wanted = { count: 3, reached: resolve }));
        await store.append(`${prefix}b`, [event('New1'), event('New2')], 'no_stream');
        await live;
        expect(received.map((e) => e.type)).toEqual(['Old2', 'New1', 'New2']);
      } finally {
        await subscription.close();
      }
    });

    it('reports the head of the log at or after the last append', async () => {
      const result = await store.append(`${newPrefix()}s`, [event('A')], 'no_stream');
      expect(comparePositions(await store.headPosition(), result.position)).toBeGreaterThanOrEqual(0);
    });

    it('keeps unicode and special characters in data intact', async () => {
      const stream = `${newPrefix()}s`;
      const data = { givenName: 'Олександра', familyName: "D'Hondt-Ŝčęść", note: 'emoji 🇺🇦 \u2028 "quotes" \\ %_' };
      await store.append(stream, [event('Registered', data)], 'no_stream');
      const [read] = await store.readStream(stream);
      expect(read.data).toEqual(data);
    });

    it('refuses, appending nothing, text PostgreSQL cannot store: U+0000 or an unpaired surrogate anywhere in an event', async () => {
      const stream = `${newPrefix()}s`;
      for (const [hostile, field] of [
        [{ ...event('Registered', { givenName: 'a\u0000b' }) }, 'data.givenName'],
        [{ ...event('Registered', { nested: { list: ['ok', 'x\ud83d'] } }) }, 'data.nested.list[1]'],
        [{ ...event('Registered'), metadata: { actor: '\udc00lone' } }, 'metadata.actor'],
        [{ ...event('Registered', { ['key\u0000']: 1 }) }, 'data (a member name)'],
        [{ ...event('Registered\u0000') }, 'type'],
      ] as Array<[EventToAppend, string]>) {
        const refused = await store.append(stream, [event('Fine'), hostile], 'no_stream').catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(UnstorableEventError);
        expect(refused).toMatchObject({ eventId: hostile.id, field });
      }
      expect(await store.readStream(stream)).toEqual([]);
      // A paired surrogate (an emoji) is text like any other.
      await store.append(stream, [event('Registered', { note: '🇺🇦 \ud83d\ude00' })], 'no_stream');
      expect((await store.readStream(stream))[0].data).toEqual({ note: '🇺🇦 😀' });
    });

    it('keeps a large stream whole: 10,000 events appended in batches read back dense and in order', async () => {
      const stream = `${newPrefix()}large`;
      const total = 10_000;
      const batchSize = 500;
      for (let start = 0; start < total; start += batchSize) {
        const batch = Array.from({ length: batchSize }, (_, i) => event('Counted', { n: start + i }));
        await store.append(stream, batch, start === 0 ? 'no_stream' : start);
      }
      const read = await store.readStream(stream);
      expect(read).toHaveLength(total);
      expect(read.every((e, i) => e.version === i + 1 && e.data.n === i)).toBe(true);
      const tail = await store.readStream(stream, { fromVersion: 9_990 });
      expect(tail.map((e) => e.version)).toEqual(Array.from({ length: 11 }, (_, i) => 9_990 + i));
    }, 120_000);

    it('keeps a large payload intact', async () => {
      const stream = `${newPrefix()}s`;
      const note = 'Тимчасовий захист — ' + 'x'.repeat(256 * 1024);
      const items = Array.from({ length: 1000 }, (_, i) => ({ i, label: `item-${i}` }));
      await store.append(stream, [event('Large', { note, items })], 'no_stream');
      const [read] = await store.readStream(stream);
      expect(read.data.note).toBe(note);
      expect(read.data.items).toEqual(items);
    });

    it('answers a ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
