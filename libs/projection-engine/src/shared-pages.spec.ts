import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '@app/testing';
import { START_OF_LOG, type EventStore, type LogPosition, type ReadAllOptions, type RecordedEvent } from '@app/event-store';
import { PostgresEventStore } from '@app/event-store/postgres';
import { HELD_PAGES, SharedPages, WAIT_FOR_OTHERS_MS, type PageReader } from './shared-pages';

describe('SharedPages (pages of the log read once for the one-pass folds that read them together)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let postgres: PostgresEventStore;
  /** The store, counting its reads of the log. */
  let reads: ReadAllOptions[];
  let store: Pick<EventStore, 'readAll'>;
  const prefix = `paged${randomUUID().slice(0, 8)}-`;
  const other = `unpaged${randomUUID().slice(0, 8)}-`;
  const page = (after: LogPosition, streamPrefixes = [prefix]) => ({ after, maxCount: 4, streamPrefixes });

  beforeAll(async () => {
    database = await createTestDatabase();
    postgres = await PostgresEventStore.connect(database.url);
    store = {
      readAll: (options) => {
        reads.push(options ?? {});
        return postgres.readAll(options);
      },
    };
    // 40 events of the prefix (10 pages of 4), and 8 of another.
    for (let s = 0; s < 10; s++) {
      await postgres.append(`${prefix}${s}`, Array.from({ length: 4 }, (_, n) => ({ id: randomUUID(), type: 'Paged', data: { n }, metadata: {} })), 'no_stream');
    }
    await postgres.append(`${other}0`, Array.from({ length: 8 }, (_, n) => ({ id: randomUUID(), type: 'Paged', data: { n }, metadata: {} })), 'no_stream');
  });

  beforeEach(() => {
    reads = [];
  });

  afterAll(async () => {
    await postgres.close();
    await database.drop();
  });

  /** Reads the whole log as a one-pass fold does (the next page asked for before this one is folded); `fold` per page. */
  async function readThrough(reader: PageReader, streamPrefixes?: string[], fold: (events: readonly RecordedEvent[]) => Promise<void> = async () => undefined) {
    const pages: RecordedEvent[][] = [];
    let next = reader.read(page(START_OF_LOG, streamPrefixes));
    for (;;) {
      const events = await next;
      if (events.length === 0) break;
      next = reader.read(page(events[events.length - 1].position, streamPrefixes));
      await fold(events);
      pages.push(events);
    }
    reader.close();
    return pages;
  }

  const ids = (pages: RecordedEvent[][]) => pages.flat().map((event) => event.id);

  it('reads each page once for folds that read the same pages, each getting every event in order', async () => {
    const pages = new SharedPages();
    const readers = [0, 1, 2].map(() => pages.reader(store, page(START_OF_LOG)));
    const [a, b, c] = await Promise.all([
      readThrough(readers[0]),
      // The folds go at different speeds: the fast one keeps the slow one's pace.
      readThrough(readers[1], undefined, () => new Promise((resolve) => setTimeout(resolve, 20))),
      readThrough(readers[2], undefined, () => new Promise((resolve) => setImmediate(resolve))),
    ]);
    const all = (await postgres.readAll({ streamPrefixes: [prefix] })).map((event) => event.id);
    expect(ids(a)).toEqual(all);
    expect(ids(b)).toEqual(all);
    expect(ids(c)).toEqual(all);
    // Ten pages and the empty one after them, each read once.
    expect(reads).toHaveLength(11);
    expect(pages.held).toBe(0);
  });

  it('holds no one up who reads other pages, and no page beyond the two a fold reading alone holds anyway (the one it folds, the one read ahead)', async () => {
    const pages = new SharedPages();
    const alone = pages.reader(store, page(START_OF_LOG));
    let held = 0;
    await readThrough(alone, undefined, async () => {
      held = Math.max(held, pages.held);
    });
    expect(held).toBeLessThanOrEqual(2);
    expect(pages.held).toBe(0);
    expect(reads).toHaveLength(11);

    reads = [];
    const started = Date.now();
    const [ours, theirs] = await Promise.all([
      readThrough(pages.reader(store, page(START_OF_LOG))),
      readThrough(pages.reader(store, page(START_OF_LOG, [other])), [other], () => new Promise((resolve) => setTimeout(resolve, 50))),
    ]);
    expect(ids(ours)).toHaveLength(40);
    expect(ids(theirs)).toHaveLength(8);
    expect(Date.now() - started).toBeLessThan(WAIT_FOR_OTHERS_MS / 10);
    expect(reads).toHaveLength(11 + 3);
    expect(pages.held).toBe(0);
  });

  it('lets a fold ahead wait for the others at most HELD_PAGES ahead, and read on alone once they stop', async () => {
    const pages = new SharedPages();
    const ahead = pages.reader(store, page(START_OF_LOG));
    const behind = pages.reader(store, page(START_OF_LOG));
    // The one behind takes the first page, then stops folding for a while.
    const first = await behind.read(page(START_OF_LOG));
    let held = 0;
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const aheadRead = readThrough(ahead, undefined, async () => {
      held = Math.max(held, pages.held);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // It read at most HELD_PAGES pages past the one behind, and waits.
    expect(reads.length).toBeLessThanOrEqual(HELD_PAGES + 1);
    void stopped.then(() => behind.close());
    stop();
    const read = await aheadRead;
    expect(ids(read)).toHaveLength(40);
    expect(read[0][0]).toBe(first[0]);
    expect(held).toBeLessThanOrEqual(HELD_PAGES);
    expect(pages.held).toBe(0);
  });

  it('lets a fold ahead read on alone once it waited its time for one that takes no page, and waits for that one no more', async () => {
    const pages = new SharedPages(200);
    const ahead = pages.reader(store, page(START_OF_LOG));
    const stuck = pages.reader(store, page(START_OF_LOG));
    await stuck.read(page(START_OF_LOG));
    const started = Date.now();
    const read = await readThrough(ahead);
    expect(ids(read)).toHaveLength(40);
    // One wait, not one a page.
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(200);
    expect(took).toBeLessThan(2 * 200 + 1000);
    stuck.close();
    expect(pages.held).toBe(0);
  });
});
