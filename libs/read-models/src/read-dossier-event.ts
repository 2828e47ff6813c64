import { assertDossierEventShape, decodeDossierEvent, dossierIdOf, MalformedEventError, type DossierEvent } from '@app/domain';
import type { RecordedEvent } from '@app/event-store';
import { readEach, type SafeFormNotes } from '@app/projection-engine';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A recorded dossier event as the projections read it. */
export interface ReadDossierEvent {
  readonly recorded: RecordedEvent;
  /** From the stream id, lower case. */
  readonly dossierId: string;
  /** Upcast to the current schema, its shape checked (the personal block only as an object: it may be sealed). */
  readonly event: DossierEvent;
  /** metadata.recordedAt as written: a timestamp, unless the event was written by hand. */
  readonly recordedAt: unknown;
}

/**
 * Reads a recorded event of a dossier stream, the one way every projection does. Throws for an
 * event that cannot be read (MalformedEventError, UnknownEventError): the projection leaves it
 * out and notes it (engine/safe-form.ts readEach).
 */
export function readDossierEvent(recorded: RecordedEvent): ReadDossierEvent {
  const dossierId = dossierIdOf(recorded.streamId);
  if (!UUID.test(dossierId)) throw new MalformedEventError(recorded.type, 'the stream id', `dossier-<uuid>`);
  const event = decodeDossierEvent(recorded, recorded.data);
  assertDossierEventShape(event);
  return { recorded, dossierId: dossierId.toLowerCase(), event, recordedAt: (recorded.metadata as { recordedAt?: unknown }).recordedAt };
}

/** An event readDossierEvent cannot read, with its error: each fold that reads it notes it. */
class Unreadable {
  constructor(readonly error: unknown) {}
}

type Read = ReadDossierEvent | Unreadable;

function readOrUnreadable(recorded: RecordedEvent): Read {
  try {
    return readDossierEvent(recorded);
  } catch (error) {
    return new Unreadable(error);
  }
}

/**
 * What is read of each page, by page: the events' array, which the engine's SharedPages hands to
 * every fold that reads the page (the projections catching up together), so that each event is
 * read once for all of them, not once per projection (bench/README.md, "The catch-up from empty:
 * a page read and opened once for the folds sharing it"). An entry goes with its page: once no fold holds the page's events, nothing
 * read of them is kept. Decoded events, like the events themselves, are never changed by a projection.
 */
const pagesRead = new WeakMap<readonly RecordedEvent[], readonly Read[]>();
/** The same for the pages as reveal() makes them readable (by its answer, which it gives every fold with the same keys read ahead). */
const pagesOpened = new WeakMap<readonly RecordedEvent[], ReadonlyArray<Read | undefined>>();

function readPage(events: readonly RecordedEvent[]): readonly Read[] {
  let read = pagesRead.get(events);
  if (!read) {
    read = events.map(readOrUnreadable);
    pagesRead.set(events, read);
  }
  return read;
}

/**
 * Each event of `events` read as reveal() made it readable (`readable`, its answer for exactly
 * these events: the same order, those it left out missing), undefined for one it left out. An
 * event reveal() hands back as it was (all but registrations) is read once with the page.
 */
function readOpened(events: readonly RecordedEvent[], readable: readonly RecordedEvent[]): ReadonlyArray<Read | undefined> {
  let opened = pagesOpened.get(readable);
  if (!opened) {
    const read = readPage(events);
    const reads: Array<Read | undefined> = new Array(events.length);
    let next = 0;
    for (let i = 0; i < events.length; i++) {
      const made = readable[next];
      if (made === events[i]) reads[i] = read[i];
      else if (made !== undefined && made.id === events[i].id) reads[i] = readOrUnreadable(made);
      else continue;
      next++;
    }
    opened = reads;
    pagesOpened.set(readable, opened);
  }
  return opened;
}

function readOrThrow(read: Read): ReadDossierEvent {
  if (read instanceof Unreadable) throw read.error;
  return read;
}

/**
 * readEach (engine/safe-form.ts) of a page's events through readDossierEvent: `read` is given
 * each event as read, an event that cannot be read is left out and noted, as is one `read` throws
 * for. Each event is read once for every fold the page is handed to (pagesRead). `only`: the
 * events `read` is for, by their type as stored; the others are neither read nor noted here.
 */
export function readEachDossierEvent<T>(
  events: readonly RecordedEvent[],
  notes: SafeFormNotes,
  read: (event: ReadDossierEvent) => T | undefined,
  only?: (recorded: RecordedEvent) => boolean,
): T[] {
  const page = readPage(events);
  return readEach(events, notes, (recorded, i) => (only && !only(recorded) ? undefined : read(readOrThrow(page[i]))));
}

/**
 * The same, each event as reveal() made it readable (`readable`: its answer for exactly these
 * events, `opened` true). An event it left out (noted through its onUnreadable) is skipped, or,
 * with `leftOut`, read as stored (`opened` false).
 */
export function readEachOpened<T>(
  events: readonly RecordedEvent[],
  readable: readonly RecordedEvent[],
  notes: SafeFormNotes,
  read: (event: ReadDossierEvent, opened: boolean) => T | undefined,
  { only, leftOut = false }: { only?: (recorded: RecordedEvent) => boolean; leftOut?: boolean } = {},
): T[] {
  const opened = readOpened(events, readable);
  const page = leftOut ? readPage(events) : undefined;
  return readEach(events, notes, (recorded, i) => {
    if (only && !only(recorded)) return undefined;
    const made = opened[i];
    if (made !== undefined) return read(readOrThrow(made), true);
    return page && read(readOrThrow(page[i]), false);
  });
}
