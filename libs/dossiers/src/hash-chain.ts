import { createHash } from 'node:crypto';
import { canonicalJson } from '@app/platform';

/**
 * Tamper evidence: every dossier event carries `hash` in its metadata, SHA-256 (hex) of the
 * canonical JSON of { previousHash, type, data, occurredOn, actor }, where previousHash is the
 * hash of the stream's previous event (GENESIS_HASH for the first). Changing any of those in a
 * stored event, or removing or reordering events, breaks the chain from there on. The algorithm
 * is in docs/tamper-evidence.md, so that an export can be checked without this software.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedFields {
  readonly type: string;
  readonly data: unknown;
  readonly occurredOn: string;
  readonly actor: string;
}

export function eventHash(previousHash: string, event: ChainedFields): string {
  const canonical = canonicalJson({
    previousHash,
    type: event.type,
    data: event.data,
    occurredOn: event.occurredOn,
    actor: event.actor,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export interface ChainLink extends ChainedFields {
  readonly version: number;
  /** As stored in the event's metadata. */
  readonly hash: unknown;
}

export type ChainVerdict =
  | { readonly intact: true; readonly version: number; readonly lastHash: string }
  | { readonly intact: false; readonly firstInvalidVersion: number; readonly expectedHash: string; readonly recordedHash: unknown };

/** Recomputes the chain in stream order and names the first event whose hash does not match. */
export function verifyChain(links: readonly ChainLink[]): ChainVerdict {
  let previous = GENESIS_HASH;
  for (const [index, link] of links.entries()) {
    const expected = eventHash(previous, link);
    // A missing or reordered event shows as a gap in the versions.
    if (link.version !== index + 1 || link.hash !== expected) {
      return { intact: false, firstInvalidVersion: index + 1, expectedHash: expected, recordedHash: link.hash };
    }
    previous = expected;
  }
  return { intact: true, version: links.length, lastHash: previous };
}
