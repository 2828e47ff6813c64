import type { Role } from '@app/platform';

export interface Principal {
  /** The token's subject: who did it, as recorded in every event's metadata. */
  readonly subject: string;
  readonly roles: readonly Role[];
}
