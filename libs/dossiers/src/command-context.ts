import type { StatementWithAppend } from '@app/event-store';

/** Who sent a command and under which ids; becomes the metadata of the events it produces. */
export interface CommandContext {
  /** The token's subject. */
  readonly actor: string;
  readonly correlationId: string;
  /**
   * This command's id, recorded as the causation id of its events. Derived from the
   * Idempotency-Key when there is one, so a retry after a crash is recognised in the stream.
   */
  readonly commandId: string;
  /** From If-Match: the version the client last saw. */
  readonly expectedVersion?: number;
  /**
   * The answer the caller keeps for a retry of this command (its Idempotency-Key's), written
   * with the command's append where the store allows it (EventStore.appendWith): one round trip
   * for both. Only for a command whose answer the append settles (nothing runs after it).
   */
  readonly answerKeptWithAppend?: AnswerKeptWithAppend;
}

export interface AnswerKeptWithAppend {
  /** The answer for a command that appends to this dossier, as a statement to write with the append. */
  statementFor(dossierId: string): StatementWithAppend;
  /** The statement for this dossier was written with the append, which reached this version. */
  written(accepted: CommandAccepted): void;
}

export interface CommandAccepted {
  readonly dossierId: string;
  readonly version: number;
}
