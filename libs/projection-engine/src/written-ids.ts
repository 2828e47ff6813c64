/** Bits per id: with HASHES probes, about one id in 120 never written is taken for a written one. */
const BITS_PER_ID = 10;
const HASHES = 7;

/**
 * The ids of the rows a one-pass writer has written so far (VersionedRowsRebuild), kept in a few
 * bits each: one Bloom filter per flush, sized for the ids that flush wrote. It answers "maybe
 * written" or "certainly not": a batch's rows that were certainly never written are not looked
 * for in the table. Most rows a later batch touches are new dossiers; asking PostgreSQL for each
 * of them was about a query per batch after the first flush (bench/README.md, "The CRT
 * registry's rebuild: ..."). A wrong "maybe" costs a row looked for and not found, nothing else;
 * a "certainly not" is always right. A Set of the ids would hold a million dossiers in about
 * 80 MiB of the service's heap; these filters hold them in 1.2 MiB outside it.
 */
export class WrittenIds {
  private readonly filters: Uint32Array[] = [];

  /** Adds the ids one flush wrote. */
  add(ids: ReadonlySet<string>): void {
    if (ids.size === 0) return;
    const filter = new Uint32Array(Math.ceil((ids.size * BITS_PER_ID) / 32));
    const bits = filter.length * 32;
    for (const id of ids) {
      const [first, step] = hashesOf(id);
      for (let i = 0, probe = first; i < HASHES; i++, probe = (probe + step) >>> 0) {
        const bit = probe % bits;
        filter[bit >>> 5] |= 1 << (bit & 31);
      }
    }
    this.filters.push(filter);
  }

  /** False only for an id no flush wrote. */
  mayHave(id: string): boolean {
    if (this.filters.length === 0) return false;
    const [first, step] = hashesOf(id);
    return this.filters.some((filter) => {
      const bits = filter.length * 32;
      for (let i = 0, probe = first; i < HASHES; i++, probe = (probe + step) >>> 0) {
        const bit = probe % bits;
        if ((filter[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
      }
      return true;
    });
  }
}

/** Two independent 32-bit hashes of the text (FNV-1a from two offsets, then mixed); the second is odd, so its steps reach every bit. */
function hashesOf(text: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
  }
  return [mix(a), mix(b) | 1];
}

/** murmur3's finaliser: every input bit moves every output bit. */
function mix(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
