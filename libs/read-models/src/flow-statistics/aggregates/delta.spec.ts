import fc from 'fast-check';
import { compareTexts, Deltas } from './delta';

describe('Deltas', () => {
  it('sums the changes per key as a map of joined keys does, across the growth of its arrays, and yields the cells with a change', () => {
    const change = fc.tuple(fc.array(fc.constantFrom('a', 'b', 'c', '2022-01-07', ''), { minLength: 3, maxLength: 3 }), fc.integer({ min: -2, max: 2 }), fc.nat(1));
    fc.assert(
      fc.property(fc.array(change, { maxLength: 400 }), (changes) => {
        // Four slots to start with: the arrays grow several times.
        const deltas = new Deltas(3, 2, undefined, 4);
        const oracle = new Map<string, number[]>();
        for (const [key, n, at] of changes) {
          deltas.add(key.map((value) => deltas.codes.of(value)), n, at);
          // A change of 0 makes no cell.
          if (n === 0) continue;
          const cell = oracle.get(key.join('|')) ?? [0, 0];
          cell[at] += n;
          oracle.set(key.join('|'), cell);
        }
        const expected = [...oracle].filter(([, n]) => n.some((change) => change !== 0)).sort();
        const actual = [...deltas.changes()].map(({ key, n }) => [key.join('|'), n] as [string, number[]]).sort();
        expect(actual).toEqual(expected);
        expect(deltas.size).toBe(oracle.size);
        // The same cells in the order of their keys, column by column.
        const inKeyOrder = [...deltas.changesInKeyOrder()].map(({ key, n }) => [key, n] as [readonly string[], readonly number[]]);
        expect(inKeyOrder.map(([key, n]) => [key.join('|'), n]).sort()).toEqual(actual);
        const byColumns = (a: readonly string[], b: readonly string[]) => a.reduce((order, value, i) => order || (value < b[i] ? -1 : value > b[i] ? 1 : 0), 0);
        expect([...inKeyOrder].sort(([a], [b]) => byColumns(a, b))).toEqual(inKeyOrder);
        // Or in the order of a primary key that lists the columns otherwise.
        const permuted = (key: readonly string[]) => [key[2], key[0], key[1]];
        const inOtherOrder = [...deltas.changesInKeyOrder([2, 0, 1])].map(({ key }) => permuted(key));
        expect([...inOtherOrder].sort(byColumns)).toEqual(inOtherOrder);
      }),
    );
  });

  it('holds, once cleared, only what was added since: the old counts of a cleared cell never show, across the growth of its arrays', () => {
    const change = fc.tuple(fc.array(fc.constantFrom('a', 'b', 'c', '2022-01-07', ''), { minLength: 3, maxLength: 3 }), fc.integer({ min: -2, max: 2 }), fc.nat(2));
    fc.assert(
      fc.property(fc.array(fc.array(change, { maxLength: 120 }), { minLength: 1, maxLength: 4 }), (rounds) => {
        // Used over and over, as a fold's held cells and its per-dossier spans are.
        const deltas = new Deltas(3, 3, undefined, 4);
        for (const round of rounds) {
          deltas.clear();
          const oracle = new Map<string, number[]>();
          for (const [key, n, at] of round) {
            deltas.add(key.map((value) => deltas.codes.of(value)), n, at);
            if (n === 0) continue;
            const cell = oracle.get(key.join('|')) ?? [0, 0, 0];
            cell[at] += n;
            oracle.set(key.join('|'), cell);
          }
          expect(deltas.size).toBe(oracle.size);
          const cells = [...deltas.cellCodes()].map(({ key, n, slot }) => [Array.from(key, (code) => deltas.codes.text(code)).join('|'), n, deltas.count(slot, 1), deltas.count(slot, 2)]);
          expect(cells.sort()).toEqual([...oracle].map(([key, n]) => [key, ...n]).sort());
        }
      }),
    );
  });

  it('orders its cells as a comparator sort of the texts does, column by column in the given order, cells alike in those columns in the order of their slots', () => {
    // Seven columns: two of few texts (cells alike in them), five of up to thousands (keys wider than one packed sort).
    const few = fc.constantFrom('a', 'B', 'é', '', '2022-01-07', 'z');
    const many = fc.integer({ min: 0, max: 5_000 }).map((n) => `k${n}`);
    const key = fc.tuple(few, many, many, few, many, many, many);
    const order = fc.constantFrom<number[]>([0, 1, 2, 3, 4, 5, 6], [3, 0, 6, 1, 5, 2, 4], [3], [0, 3], [6, 0], []);
    fc.assert(
      fc.property(fc.array(key, { maxLength: 600, size: 'max' }), order, fc.array(many, { maxLength: 50 }), (keys, order, unused) => {
        const deltas = new Deltas(7, 1, undefined, 4);
        // Codes no cell uses, as a Codes shared with other Deltas holds.
        for (const text of unused) deltas.codes.of(text);
        for (const values of keys) deltas.add(values.map((value) => deltas.codes.of(value)), 1);
        const bySlot = [...deltas.cellCodes()].map(({ slot, key }) => ({ slot, texts: Array.from(key, (code) => deltas.codes.text(code)) }));
        const byComparator = [...bySlot].sort((a, b) => order.reduce((found: number, column) => found || compareTexts(a.texts[column], b.texts[column]), 0)).map(({ slot }) => slot);
        expect(Array.from(deltas.slotsInKeyOrder(order))).toEqual(byComparator);
      }),
    );
  });
});
