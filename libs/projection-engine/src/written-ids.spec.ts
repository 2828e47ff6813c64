import { randomUUID } from 'node:crypto';
import { WrittenIds } from './written-ids';

describe('WrittenIds (the rows a one-pass writer has written, a Bloom filter per flush)', () => {
  it('knows nothing was written before the first flush', () => {
    expect(new WrittenIds().mayHave(randomUUID())).toBe(false);
  });

  it('never takes a written id for one never written, whichever flush wrote it', () => {
    const written = new WrittenIds();
    const flushes = [1, 17, 5_000, 20_000].map((size) => new Set(Array.from({ length: size }, () => randomUUID())));
    for (const ids of flushes) written.add(ids);
    written.add(new Set());
    expect(flushes.flatMap((ids) => [...ids].filter((id) => !written.mayHave(id)))).toEqual([]);
  });

  it('takes few ids never written for written ones (about one in 120 per flush)', () => {
    const written = new WrittenIds();
    for (let flush = 0; flush < 4; flush++) written.add(new Set(Array.from({ length: 10_000 }, () => randomUUID())));
    const fresh = Array.from({ length: 20_000 }, () => randomUUID());
    const taken = fresh.filter((id) => written.mayHave(id)).length;
    // Four flushes' filters at ~0.8% each: ~3.3% expected.
    expect(taken / fresh.length).toBeLessThan(0.05);
  });

  it('tells apart ids that differ in one character, as time-ordered ids do', () => {
    const written = new WrittenIds();
    const base = '0190f3a2-7c4e-7d31-9a5b-00000000';
    const ids = Array.from({ length: 4_096 }, (_, i) => `${base}${i.toString(16).padStart(4, '0')}`);
    written.add(new Set(ids.filter((_, i) => i % 2 === 0)));
    const taken = ids.filter((id, i) => i % 2 === 1 && written.mayHave(id)).length;
    expect(taken / 2_048).toBeLessThan(0.03);
  });
});
