/**
 * Unwrapped dossier keys kept for reading a dossier's own stream
 * (PersonalDataProtection.revealDossier): the most recently used `capacity` of them, so that a
 * dossier read again costs no key query and no unwrapping. Only active keys are kept; the owner
 * drops a key when it erases it, and never uses a kept key for a stream that records an erasure.
 */
export class DossierKeyCache {
  /** Map keeps insertion order: the first entry is the least recently used. */
  private readonly keys = new Map<string, Buffer>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new Error(`A key cache holds a whole number of keys, not ${capacity}`);
  }

  get size(): number {
    return this.keys.size;
  }

  get(dossierId: string): Buffer | undefined {
    const key = this.keys.get(dossierId);
    if (key) {
      this.keys.delete(dossierId);
      this.keys.set(dossierId, key);
    }
    return key;
  }

  set(dossierId: string, key: Buffer): void {
    if (this.capacity === 0) return;
    this.keys.delete(dossierId);
    this.keys.set(dossierId, key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.keys().next().value!);
  }

  drop(dossierId: string): void {
    this.keys.delete(dossierId);
  }
}
