import type { EventStore, LogPosition, ReadAllOptions, RecordedEvent } from '@app/event-store';

/**
 * Pages a fold reading along with others may be ahead of the slowest of them, counting the one
 * it reads: at most this many pages held for them (about 5 MiB of decoded events each at the
 * default batch size).
 */
export const PAGES_AHEAD = 3;
/**
 * How long a fold that far ahead waits for one behind before it lets go of the oldest page that
 * one still wants (which then reads that page from the store itself). Only a fold reading the very
 * same pages is waited for, and only while it is still to take one: a flush of it (seconds under
 * load) is worth waiting for, a fold stuck elsewhere is not.
 */
export const WAIT_FOR_BEHIND_MS = 10_000;

/** What a one-pass fold reads: a page of the log after a position. */
export type PageRead = ReadAllOptions & { readonly after: LogPosition };

type Store = Pick<EventStore, 'readAll'>;

interface Page {
  readonly key: string;
  readonly events: Promise<RecordedEvent[]>;
  /** The key of the page after it (what each fold that took it reads next), once it is read; null for an empty page: the end. */
  next: string | null | undefined;
  readonly takenBy: Set<Reader>;
}

interface Reader {
  /** The key of its first read, until it has read. */
  readonly first: string;
  /** The last page it took. */
  last: Page | undefined;
}

/** One fold's reads of the log through SharedPages; closed when the fold ends. */
export interface PageReader {
  read(options: PageRead): Promise<RecordedEvent[]>;
  close(): void;
}

/** Stores told apart in the pages' keys: an engine has one, but nothing else says so. */
const storeIds = new WeakMap<Store, number>();
let storesSeen = 0;

function pagesOf(store: Store, { maxCount, streamPrefixes }: ReadAllOptions): string {
  let id = storeIds.get(store);
  if (id === undefined) storeIds.set(store, (id = ++storesSeen));
  return `${id}/${maxCount ?? ''}/${(streamPrefixes ?? []).join('\u0000')}`;
}

const keyOf = (of: string, after: LogPosition) => `${of}/${after.commit}/${after.prepare}`;

/**
 * Pages of the log read once for the one-pass folds of an engine that read the same ones. The
 * projections catching up from empty tables together read the same pages (from the start of the
 * log, pages of the batch size, the same streams), and each read, parsed and decoded every one on
 * its own (bench/README.md, "The catch-up from empty (fifteenth session)").
 *
 * Correctness does not rest on it: a page handed to a fold is what the store answered to that
 * very read (the same position, page size and streams), for the fold that asked first, and the
 * store's answer to a read is every event after the position committed before it, in order
 * (EventStore.readAll). So a fold gets the events the store would have given it, at most a moment
 * older, and moves its checkpoint by them as it would; a page it does not find held it reads
 * itself. Every fold gets the same event objects: a projection reads events, never changes them
 * (RecordedEvent is read-only; a spec freezes them).
 *
 * What it decides is how long a page is held. A fold counts as wanting a page only if it will
 * read exactly that page: the page it reads next has that key, or is held and followed, page by
 * page, by held pages up to it (each fold that took a page reads from its last event next). A fold
 * reading from a position of its own (a projection resuming from its checkpoint, a rebuild)
 * reads pages of other boundaries, wants none of these, and holds no one up. A page nobody else
 * wants is let go (but the last one read: a fold starting a moment later still finds it); a fold
 * PAGES_AHEAD pages ahead of one that wants the oldest waits for it, WAIT_FOR_BEHIND_MS at most.
 */
export class SharedPages {
  /** By key, in the order read: the oldest first. */
  private readonly pages = new Map<string, Page>();
  private readonly readers = new Set<Reader>();
  /** Woken whenever a page is taken, read, or a reader closes. */
  private waiting: Array<() => void> = [];

  constructor(private readonly waitForBehindMs = WAIT_FOR_BEHIND_MS) {}

  /** A reader of `store` whose first read will be `first`. */
  reader(store: Store, first: PageRead): PageReader {
    const reader: Reader = { first: keyOf(pagesOf(store, first), first.after), last: undefined };
    this.readers.add(reader);
    return {
      read: (options) => this.read(reader, store, options),
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

  private async read(reader: Reader, store: Store, options: PageRead): Promise<RecordedEvent[]> {
    const of = pagesOf(store, options);
    const key = keyOf(of, options.after);
    if (!this.pages.has(key)) await this.roomFor(reader);
    // Read by another reader while this one waited, or before.
    let page = this.pages.get(key);
    // Closed meanwhile (its fold stopped with this read ahead under way): read for nobody else.
    if (!page && !this.readers.has(reader)) return store.readAll(options);
    if (!page) {
      const events = store.readAll(options);
      const read: Page = { key, events, next: undefined, takenBy: new Set() };
      page = read;
      this.pages.set(key, read);
      events.then(
        (got) => {
          read.next = got.length === 0 ? null : keyOf(of, got[got.length - 1].position);
          this.settle();
        },
        // A page that failed to read is handed to no one else: each who reads it again asks the store.
        () => {
          if (this.pages.get(key) === read) this.pages.delete(key);
          this.settle();
        },
      );
    }
    page.takenBy.add(reader);
    reader.last = page;
    this.settle();
    return page.events;
  }

  /** The key of the page `reader` reads next: undefined while the page it read last is still coming. */
  private nextOf(reader: Reader): string | null | undefined {
    return reader.last ? reader.last.next : reader.first;
  }

  /** Whether `reader` will read `page`: the page it reads next, or one the held pages after that lead to. */
  private wants(reader: Reader, page: Page): boolean {
    if (page.takenBy.has(reader)) return false;
    let key = this.nextOf(reader);
    while (key) {
      if (key === page.key) return true;
      key = this.pages.get(key)?.next;
    }
    return false;
  }

  private wanted(page: Page): boolean {
    for (const reader of this.readers) if (this.wants(reader, page)) return true;
    return false;
  }

  /** The held pages `reader` took that another still wants: how far it is ahead of the slowest reading along. */
  private aheadOf(reader: Reader): Page[] {
    return [...this.pages.values()].filter((page) => page.takenBy.has(reader) && this.wanted(page));
  }

  /**
   * Waits while `reader` is PAGES_AHEAD pages ahead of one reading along (it holds PAGES_AHEAD - 1
   * pages that one still wants, and reads another), WAIT_FOR_BEHIND_MS at most; then lets go of
   * the oldest of them: whoever wanted it reads it from the store. A reader closed meanwhile waits no more.
   */
  private async roomFor(reader: Reader): Promise<void> {
    const until = Date.now() + this.waitForBehindMs;
    while (this.readers.has(reader)) {
      const ahead = this.aheadOf(reader);
      if (ahead.length < PAGES_AHEAD - 1) return;
      const left = until - Date.now();
      if (left <= 0) {
        this.pages.delete(ahead[0].key);
        this.settle();
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

  /** Lets go of the pages nobody wants but the last one read, and wakes whoever waits for room. */
  private settle(): void {
    let last: Page | undefined;
    for (const page of this.pages.values()) last = page;
    for (const page of [...this.pages.values()]) {
      if ((page !== last || this.readers.size === 0) && page.next !== undefined && !this.wanted(page)) this.pages.delete(page.key);
    }
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }
}
