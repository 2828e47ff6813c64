import { KeptValues } from './kept-values';

describe('KeptValues', () => {
  const key = (byte: number) => Buffer.alloc(32, byte);
  const MINUTE = 60_000;

  it('keeps the most recently used values up to its capacity', () => {
    const cache = new KeptValues<Buffer>(2, MINUTE);
    cache.set('a', key(1));
    cache.set('b', key(2));
    expect(cache.get('a')).toEqual(key(1));
    cache.set('c', key(3));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual(key(1));
    expect(cache.get('c')).toEqual(key(3));
    expect(cache.size).toBe(2);
  });

  it('keeps a value for its lifetime from when it was kept, however often it is used', () => {
    let now = 0;
    const cache = new KeptValues<Buffer>(10, MINUTE, () => now);
    cache.set('a', key(1));
    now = MINUTE - 1;
    expect(cache.get('a')).toEqual(key(1));
    now = MINUTE;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps a value until the moment given with it when that comes before the end of its lifetime, never past that end', () => {
    let now = 0;
    const cache = new KeptValues<string>(10, MINUTE, () => now);
    cache.set('soon', 'x', 1_000);
    cache.set('late', 'y', 10 * MINUTE);
    now = 999;
    expect(cache.get('soon')).toBe('x');
    now = 1_000;
    expect(cache.get('soon')).toBeUndefined();
    now = MINUTE;
    expect(cache.get('late')).toBeUndefined();
  });

  it('forgets a dropped value and, cleared, everything; keeps nothing at capacity 0', () => {
    const cache = new KeptValues<Buffer>(2, MINUTE);
    cache.set('a', key(1));
    cache.set('b', key(2));
    cache.drop('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual(key(2));
    cache.clear();
    expect(cache.size).toBe(0);
    const none = new KeptValues<Buffer>(0, MINUTE);
    none.set('a', key(1));
    expect(none.get('a')).toBeUndefined();
    expect(() => new KeptValues(-1, MINUTE)).toThrow(/whole number/);
  });
});
