import { randomBytes } from 'node:crypto';

/**
 * A random UUID that starts with its creation time (RFC 9562 version 7: 48 bits of Unix
 * milliseconds, then 74 random bits), so ids made one after the other sort in the order they
 * were made. A table keyed by such ids grows at the end of its primary-key index, as it grows at
 * the end of its heap: each insert finds the last leaf page in memory and, after a checkpoint,
 * writes that page's image to the WAL once for many inserts. With version 4 ids each insert
 * lands on a random leaf of an index that grows for ever (the access log: one row per read), so
 * nearly every insert read a page from disk once the index outgrew memory and wrote a page
 * image to the WAL (bench/README.md, "The access log's primary key").
 */
export function timeOrderedUuid(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(Math.floor(now), 0, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
