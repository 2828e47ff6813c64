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
}

export interface CommandAccepted {
  readonly dossierId: string;
  readonly version: number;
}
