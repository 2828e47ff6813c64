import { DossierKeyCache } from './key-cache';

describe('DossierKeyCache', () => {
  const key = (byte: number) => Buffer.alloc(32, byte);
  const MINUTE = 60_000;

  it('keeps the most recently used keys up to its capacity', () => {
    const cache = new DossierKeyCache(2, MINUTE);
    cache.set('a', key(1));
    cache.set('b', key(2));
    expect(cache.get('a')).toEqual(key(1));
    cache.set('c', key(3));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual(key(1));
    expect(cache.get('c')).toEqual(key(3));
    expect(cache.size).toBe(2);
  });

  it('keeps a key for its lifetime from when it was read, however often it is used', () => {
    let now = 0;
    const cache = new DossierKeyCache(10, MINUTE, () => now);
    cache.set('a', key(1));
    now = MINUTE - 1;
    expect(cache.get('a')).toEqual(key(1));
    now = MINUTE;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('forgets a dropped key, and keeps nothing at capacity 0', () => {
    const cache = new DossierKeyCache(2, MINUTE);
    cache.set('a', key(1));
    cache.drop('a');
    expect(cache.get('a')).toBeUndefined();
    const none = new DossierKeyCache(0, MINUTE);
    none.set('a', key(1));
    expect(none.get('a')).toBeUndefined();
    expect(() => new DossierKeyCache(-1, MINUTE)).toThrow(/whole number/);
  });
});
