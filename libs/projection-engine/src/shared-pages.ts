import { comparePositions, type EventStore, type LogPosition, type ReadAllOptions, type RecordedEvent } from '@app/event-store';

/** Pages held for the folds behind the one that read them, at most: about 10 MiB of events each at the default batch size. */
export const HELD_PAGES = 3;
/**
 * How long a fold ahead of the others waits for them before it reads on alone: longer than a
 * flush of the slowest takes (the flow statistics' flushes took seconds under load; 2 s was too
 * short and the folds parted early, bench/README.md), short enough that a fold that waits for one
 * that will never take the page (it reads from elsewhere in the log) loses little, once.
 */
export const WAIT_FOR_OTHERS_MS = 30_000;

/** What a one-pass fold reads: a page of the log after a position. */
export type PageRead = ReadAllOptions & { readonly after: LogPosition };

interface Page {
  readonly key: string;
  /** What it is a page of: the store, the page size and the streams. */
  readonly of: string;
  readonly after: LogPosition;
  readonly events: Promise<RecordedEvent[]>;
  readonly takenBy: Set<Reader>;
}

interface Reader {
  readonly store: Store;
  readonly of: string;
  /** Where its last read started (where its first will, before it read). */
  at: LogPosition;
  read: boolean;
  /** Still reading along with the others: it stops once they waited for it in vain, and starts again when it takes a page they read. */
  along: boolean;
}

/** One fold's reads of the log through SharedPages; closed when the fold ends. */
export interface PageReader {
  read(options: PageRead): Promise<RecordedEvent[]>;
  close(): void;
}

type Store = Pick<EventStore, 'readAll'>;

/** Stores told apart in the pages' keys: an engine has one, but nothing else says so. */
const storeIds = new WeakMap<Store, number>();
let storesSeen = 0;

function pagesOf(store: Store, { maxCount, streamPrefixes }: PageRead): string {
  let id = storeIds.get(store);
  if (id === undefined) storeIds.set(store, (id = ++storesSeen));
  return `${id}/${maxCount ?? ''}/${(streamPrefixes ?? []).join('\u0000')}`;
}

/**
 * Pages of the log read once for all the one-pass folds of an engine that read them. The
 * projections that catch up from empty tables together read the same pages (from the start of
 * the log, pages of the batch size, the same streams), and each read and decoded every one on its
 * own (bench/README.md). A page is held until each fold reading along has taken it, HELD_PAGES at
 * most: a fold that gets that far ahead waits for those behind, so the folds keep the slowest
 * one's pace, on the one thread they share anyway. It waits WAIT_FOR_OTHERS_MS at most, then reads
 * on alone and no longer waits for the fold it waited for in vain (until that one takes a page
 * read for it again). A fold that reads other streams or pages of another size holds no one up;
 * one behind that reads the same streams from a position of its own (a rebuild started during a
 * catch-up) costs the others that wait once. Every fold gets the same event objects: a projection
 * reads events, never changes them (RecordedEvent is read-only).
 */
export class SharedPages {
  /** By key, in the order read: the oldest first. */
  private readonly pages = new Map<string, Page>();
  private readonly readers = new Set<Reader>();
  /** Woken whenever a page is taken or a reader closes. */
  private waiting: Array<() => void> = [];

  constructor(private readonly waitForOthersMs = WAIT_FOR_OTHERS_MS) {}

  /** A reader of `store` whose first read will be `first`. */
  reader(store: Store, first: PageRead): PageReader {
    const reader: Reader = { store, of: pagesOf(store, first), at: first.after, read: false, along: true };
    this.readers.add(reader);
    return {
      read: (options) => this.read(reader, options),
      close: () => {
        this.readers.delete(reader);
        this.settle();
      },
    };
  }

  /** How many pages are held now (for the specs). */
  get held(): number {
    return this.pages.size;
  }

  private async read(reader: Reader, options: PageRead): Promise<RecordedEvent[]> {
    const of = pagesOf(reader.store, options);
    const key = `${of}/${options.after.commit}/${options.after.prepare}`;
    reader.at = options.after;
    reader.read = true;
    if (!this.pages.has(key)) await this.roomFor(reader);
    // Read by another reader while this one waited, or before.
    let page = this.pages.get(key);
    if (page) {
      reader.along = true;
    } else {
      if (!this.readers.has(reader)) return reader.store.readAll(options);
      const read: Page = { key, of, after: options.after, events: reader.store.readAll(options), takenBy: new Set() };
      this.pages.set(key, read);
      // A page that failed to read is not handed to anyone else: each who reads it again asks the store.
      read.events.catch(() => {
        if (this.pages.get(key) === read) this.pages.delete(key);
      });
      page = read;
    }
    page.takenBy.add(reader);
    this.settle();
    return page.events;
  }

  /** Whether `reader` will want `page`: it reads along, the same pages, and is behind it. */
  private wants(reader: Reader, page: Page): boolean {
    if (!reader.along || reader.of !== page.of || page.takenBy.has(reader)) return false;
    const order = comparePositions(reader.at, page.after);
    return reader.read ? order < 0 : order <= 0;
  }

  private wantedBy(page: Page, except: Reader): Reader[] {
    return [...this.readers].filter((reader) => reader !== except && this.wants(reader, page));
  }

  /**
   * Makes room for a page: lets go of every page no other reader wants but the last one read
   * (the reader folds it while this one is read ahead, and a fold that starts a moment after the
   * others still finds it), then, while HELD_PAGES are held, waits for the oldest to be taken
   * (WAIT_FOR_OTHERS_MS at most; whoever it waited for in vain no longer counts as reading
   * along) and lets go of it. Alone, a fold holds no page beyond the two it holds anyway.
   */
  private async roomFor(reader: Reader): Promise<void> {
    const until = Date.now() + this.waitForOthersMs;
    for (;;) {
      let last: Page | undefined;
      for (const page of this.pages.values()) last = page;
      for (const page of [...this.pages.values()]) if (page !== last && this.wantedBy(page, reader).length === 0) this.pages.delete(page.key);
      if (this.pages.size < HELD_PAGES) return;
      const oldest = this.pages.values().next().value as Page;
      const left = until - Date.now();
      if (left <= 0) {
        for (const other of this.wantedBy(oldest, reader)) other.along = false;
        this.pages.delete(oldest.key);
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Wakes whoever waits for room; once no fold reads, holds nothing. */
  private settle(): void {
    if (this.readers.size === 0) this.pages.clear();
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }
}
