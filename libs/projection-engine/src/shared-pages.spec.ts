import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '@app/testing';
import { START_OF_LOG, type EventStore, type LogPosition, type ReadAllOptions, type RecordedEvent } from '@app/event-store';
import { PostgresEventStore } from '@app/event-store/postgres';
import { PAGES_AHEAD, SharedPages, WAIT_FOR_BEHIND_MS, type PageReader } from './shared-pages';

describe('SharedPages (pages of the log read once for the one-pass folds that read them together)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let postgres: PostgresEventStore;
  /** The store, counting its reads of the log. */
  let reads: ReadAllOptions[];
  let store: Pick<EventStore, 'readAll'>;
  const prefix = `paged${randomUUID().slice(0, 8)}-`;
  const other = `unpaged${randomUUID().slice(0, 8)}-`;
  const page = (after: LogPosition, streamPrefixes = [prefix]) => ({ after, maxCount: 4, streamPrefixes });
  let all: RecordedEvent[];

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
    all = await postgres.readAll({ streamPrefixes: [prefix] });
  });

  beforeEach(() => {
    reads = [];
  });

  afterAll(async () => {
    await postgres.close();
    await database.drop();
  });

  /** Reads the log from `from` as a one-pass fold does (the next page asked for before this one is folded); `fold` per page. */
  async function readThrough(
    reader: PageReader,
    { from = START_OF_LOG, streamPrefixes, fold = async () => undefined }: { from?: LogPosition; streamPrefixes?: string[]; fold?: (events: readonly RecordedEvent[]) => Promise<void> } = {},
  ) {
    const pages: RecordedEvent[][] = [];
    try {
      let next = reader.read(page(from, streamPrefixes));
      for (;;) {
        const events = await next;
        if (events.length === 0) break;
        next = reader.read(page(events[events.length - 1].position, streamPrefixes));
        await fold(events);
        pages.push(events);
      }
    } finally {
      reader.close();
    }
    return pages;
  }

  const ids = (pages: RecordedEvent[][] | RecordedEvent[]) => pages.flat().map((event) => event.id);
  const pause = (ms: number) => () => new Promise<void>((resolve) => setTimeout(resolve, ms));

  it('reads each page once for folds that read the same pages, each getting every event in order', async () => {
    const pages = new SharedPages();
    const readers = [0, 1, 2].map(() => pages.reader(store, page(START_OF_LOG)));
    const [a, b, c] = await Promise.all([
      readThrough(readers[0]),
      // The folds go at different speeds: the fast one keeps the slow one's pace.
      readThrough(readers[1], { fold: pause(20) }),
      readThrough(readers[2], { fold: () => new Promise((resolve) => setImmediate(resolve)) }),
    ]);
    expect(ids(a)).toEqual(ids(all));
    expect(ids(b)).toEqual(ids(all));
    expect(ids(c)).toEqual(ids(all));
    // Ten pages and the empty one after them, each read once.
    expect(reads).toHaveLength(11);
    expect(pages.held).toBe(0);
  });

  it('holds no page beyond the two a fold reading alone holds anyway (the one it folds, the one read ahead), and no one up who reads other streams', async () => {
    const pages = new SharedPages();
    let held = 0;
    await readThrough(pages.reader(store, page(START_OF_LOG)), {
      fold: async () => {
        held = Math.max(held, pages.held);
      },
    });
    expect(held).toBeLessThanOrEqual(2);
    expect(pages.held).toBe(0);
    expect(reads).toHaveLength(11);

    reads = [];
    const started = Date.now();
    const [ours, theirs] = await Promise.all([
      readThrough(pages.reader(store, page(START_OF_LOG))),
      readThrough(pages.reader(store, page(START_OF_LOG, [other])), { streamPrefixes: [other], fold: pause(50) }),
    ]);
    expect(ids(ours)).toEqual(ids(all));
    expect(ids(theirs)).toHaveLength(8);
    expect(Date.now() - started).toBeLessThan(WAIT_FOR_BEHIND_MS / 10);
    expect(reads).toHaveLength(11 + 3);
    expect(pages.held).toBe(0);
  });

  // What took the seventh session's version out: a fold resuming from its own checkpoint (a page
  // boundary of its own) counted as wanting the pages of the folds from the start, which waited for it in vain.
  it('holds no one up who reads the same streams from a position of its own (other page boundaries), and each gets every event after its position', async () => {
    const pages = new SharedPages();
    const from = all[5].position;
    const started = Date.now();
    const [fromStart, resuming] = await Promise.all([
      readThrough(pages.reader(store, page(START_OF_LOG)), { fold: pause(5) }),
      readThrough(pages.reader(store, page(from)), { from, fold: pause(60) }),
    ]);
    expect(ids(fromStart)).toEqual(ids(all));
    expect(ids(resuming)).toEqual(ids(all.slice(6)));
    expect(Date.now() - started).toBeLessThan(WAIT_FOR_BEHIND_MS / 10);
    // Ten pages and the end from the start; 34 events in pages of 4 (9 pages) and the end from the other position.
    expect(reads).toHaveLength(11 + 10);
    expect(pages.held).toBe(0);
  });

  it('lets a fold ahead be at most PAGES_AHEAD pages ahead of one reading along, and read on alone once that one stops', async () => {
    const pages = new SharedPages();
    const ahead = pages.reader(store, page(START_OF_LOG));
    const behind = pages.reader(store, page(START_OF_LOG));
    // The one behind takes the first page, then stops folding for a while.
    const first = await behind.read(page(START_OF_LOG));
    let held = 0;
    const aheadRead = readThrough(ahead, {
      fold: async () => {
        held = Math.max(held, pages.held);
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // It read the page the one behind took and PAGES_AHEAD - 1 past it, and waits to read another.
    expect(reads).toHaveLength(PAGES_AHEAD);
    behind.close();
    const read = await aheadRead;
    expect(ids(read)).toEqual(ids(all));
    expect(read[0][0]).toBe(first[0]);
    expect(held).toBeLessThanOrEqual(PAGES_AHEAD);
    expect(pages.held).toBe(0);
  });

  it('lets a fold ahead read on once it waited its time for one that takes no page, and that one still gets every event in order', async () => {
    const pages = new SharedPages(200);
    const ahead = pages.reader(store, page(START_OF_LOG));
    const stuck = pages.reader(store, page(START_OF_LOG));
    const first = await stuck.read(page(START_OF_LOG));
    const started = Date.now();
    const read = await readThrough(ahead);
    expect(ids(read)).toEqual(ids(all));
    // One wait, not one a page: the page it waited for let go, the one behind no longer holds it up.
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(200);
    expect(took).toBeLessThan(2 * 200 + 1000);
    // The one behind reads on from where it was: what was let go it reads from the store.
    const rest = await readThrough(stuck, { from: first[first.length - 1].position });
    expect(ids([first, ...rest])).toEqual(ids(all));
    expect(pages.held).toBe(0);
  });

  it('lets the read ahead of a fold that stops while it waits for one behind go on at once, held for no one', async () => {
    const pages = new SharedPages(5_000);
    const ahead = pages.reader(store, page(START_OF_LOG));
    const behind = pages.reader(store, page(START_OF_LOG));
    await behind.read(page(START_OF_LOG));
    let events = await ahead.read(page(START_OF_LOG));
    for (let n = 1; n < PAGES_AHEAD; n++) events = await ahead.read(page(events[events.length - 1].position));
    // PAGES_AHEAD - 1 pages ahead of the one behind: this read waits.
    const waiting = ahead.read(page(events[events.length - 1].position));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(reads).toHaveLength(PAGES_AHEAD);
    const started = Date.now();
    ahead.close();
    expect(ids(await waiting)).toEqual(ids(all.slice(4 * PAGES_AHEAD, 4 * PAGES_AHEAD + 4)));
    expect(Date.now() - started).toBeLessThan(1_000);
    behind.close();
    expect(pages.held).toBe(0);
  });

  it('gives a fold that starts late every event in order, without holding up the one ahead', async () => {
    const pages = new SharedPages();
    const early = readThrough(pages.reader(store, page(START_OF_LOG)), { fold: pause(10) });
    await new Promise((resolve) => setTimeout(resolve, 45));
    const started = Date.now();
    const late = await readThrough(pages.reader(store, page(START_OF_LOG)));
    expect(ids(late)).toEqual(ids(all));
    expect(ids(await early)).toEqual(ids(all));
    expect(Date.now() - started).toBeLessThan(WAIT_FOR_BEHIND_MS / 10);
    expect(pages.held).toBe(0);
  });

  it('hands a page that failed to read to no one else: the next to ask reads it again', async () => {
    const pages = new SharedPages();
    let fail = true;
    const failing: Pick<EventStore, 'readAll'> = {
      readAll: (options) => {
        if (fail) {
          fail = false;
          return Promise.reject(new Error('the store went away'));
        }
        return store.readAll(options);
      },
    };
    await expect(readThrough(pages.reader(failing, page(START_OF_LOG)))).rejects.toThrow('the store went away');
    expect(ids(await readThrough(pages.reader(failing, page(START_OF_LOG))))).toEqual(ids(all));
    expect(pages.held).toBe(0);
  });
});
