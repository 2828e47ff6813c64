import type { RecordedEvent } from '@app/event-store';
import type { ProjectionContext } from './projection';

/**
 * What a projection that shows personal data needs: stored dossier events made readable, each
 * registration's encrypted personal block decrypted with its dossier's key, or every personal
 * field ERASED once that key was destroyed. Keys are looked up through `query`, inside the
 * batch's transaction, so a batch sees the keys as they are when it commits.
 */
export interface PersonalDataReader {
  /**
   * An event whose personal block cannot be read (its key lost, or not unwrapping; the envelope
   * altered) goes to `onUnreadable` and is left out of the result.
   */
  reveal(
    events: readonly RecordedEvent[],
    query: ProjectionContext['query'],
    onUnreadable: (event: RecordedEvent, error: unknown) => void,
  ): Promise<RecordedEvent[]>;
}
