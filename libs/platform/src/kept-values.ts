/**
 * Values kept in the process for a while: the most recently used `capacity` of them, each for at
 * most `lifetimeMs` after it was kept (or until an earlier moment given with it), so that what was
 * worked out once (an unwrapped dossier key, a verified token) is not worked out again on every
 * request. What may be kept, and who drops it when it must not be used any more, is the owner's
 * rule: see PersonalDataProtection (docs/erasure.md).
 */
export class KeptValues<V> {
  /** Map keeps insertion order: the first entry is the least recently used. */
  private readonly values = new Map<string, { readonly value: V; readonly until: number }>();

  constructor(
    readonly capacity: number,
    readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new Error(`A cache holds a whole number of values, not ${capacity}`);
  }

  get size(): number {
    return this.values.size;
  }

  get(key: string): V | undefined {
    const kept = this.values.get(key);
    if (!kept) return undefined;
    this.values.delete(key);
    if (kept.until <= this.now()) return undefined;
    this.values.set(key, kept);
    return kept.value;
  }

  /** Keeps the value for the lifetime, or until `until` (epoch ms) if that comes first. */
  set(key: string, value: V, until = Infinity): void {
    if (this.capacity === 0) return;
    this.values.delete(key);
    this.values.set(key, { value, until: Math.min(until, this.now() + this.lifetimeMs) });
    if (this.values.size > this.capacity) this.values.delete(this.values.keys().next().value!);
  }

  drop(key: string): void {
    this.values.delete(key);
  }

  clear(): void {
    this.values.clear();
  }
}
