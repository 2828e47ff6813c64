import { randomUUID } from 'node:crypto';

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
  // The random bits of a version 4 UUID (randomUUID draws them from a buffer it refills 128 ids
  // at a time; randomBytes(16) asked the CSPRNG anew for each, 4x the time, and every dossier
  // read makes one): its first 48 bits give way to the time and its version nibble to 7, leaving
  // 12 + 62 random bits and the variant as they are.
  const random = randomUUID();
  const time = Math.floor(now).toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
