import type { RecordedEvent } from '@app/event-store';
import type { ProjectionContext } from './projection';

/**
 * What reveal() needs for a batch besides its events (the keys of its registrations' dossiers),
 * read ahead of it by lookAhead(): opaque to the projections, which only hand it back.
 */
export interface PersonalDataAhead {
  /** The events it was read for: reveal() uses it for exactly these, and looks up for any other. */
  readonly events: readonly RecordedEvent[];
}

/**
 * What a projection that shows personal data needs: stored dossier events made readable, each
 * registration's encrypted personal block decrypted with its dossier's key, or every personal
 * field ERASED once that key was destroyed. Keys are looked up through `query`, inside the
 * batch's transaction, so a batch sees the keys as they are when it commits.
 */
export interface PersonalDataReader {
  /**
   * An event whose personal block cannot be read (its key lost, or not unwrapping; the envelope
   * altered) goes to `onUnreadable` and is left out of the result. With `ahead` read for these
   * events, no key is looked up.
   */
  reveal(
    events: readonly RecordedEvent[],
    query: ProjectionContext['query'],
    onUnreadable: (event: RecordedEvent, error: unknown) => void,
    ahead?: PersonalDataAhead,
  ): Promise<RecordedEvent[]>;
  /**
   * The keys reveal() will need for these events, looked up now: a one-pass rebuild reads them
   * while it folds the page before (RebuildWriter.readAhead), where reveal() waited a round trip
   * per page. Keys read a page early are as good as keys read at the fold: the fold's queries
   * are not in the flush's transaction either, and an erasure records its event before it
   * destroys the key (docs/erasure.md), so a key read before its erasure meets that event later
   * in the log.
   */
  lookAhead(events: readonly RecordedEvent[], query: ProjectionContext['query']): Promise<PersonalDataAhead>;
}
