/**
 * Unwrapped dossier keys kept for reading a dossier's own stream
 * (PersonalDataProtection.revealDossier): the most recently used `capacity` of them, each for at
 * most `lifetimeMs` after it was read from the table, so that a dossier read again costs no key
 * query and no unwrapping. Only active keys are kept; the owner drops a key when it erases it,
 * and never uses a kept key for a stream that records an erasure. The lifetime bounds how long
 * a process keeps a key that another instance destroyed (docs/erasure.md).
 */
export class DossierKeyCache {
  /** Map keeps insertion order: the first entry is the least recently used. */
  private readonly keys = new Map<string, { readonly key: Buffer; readonly until: number }>();

  constructor(
    readonly capacity: number,
    readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new Error(`A key cache holds a whole number of keys, not ${capacity}`);
  }

  get size(): number {
    return this.keys.size;
  }

  get(dossierId: string): Buffer | undefined {
    const kept = this.keys.get(dossierId);
    if (!kept) return undefined;
    this.keys.delete(dossierId);
    if (kept.until <= this.now()) return undefined;
    this.keys.set(dossierId, kept);
    return kept.key;
  }

  set(dossierId: string, key: Buffer): void {
    if (this.capacity === 0) return;
    this.keys.delete(dossierId);
    this.keys.set(dossierId, { key, until: this.now() + this.lifetimeMs });
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.keys().next().value!);
  }

  drop(dossierId: string): void {
    this.keys.delete(dossierId);
  }
}
