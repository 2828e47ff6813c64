import fc from 'fast-check';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Deltas, type CountTable } from './delta';
import { SpilledCounts } from './spill';

const TABLE: CountTable = { name: 'counts', keys: [['a', 'text'], ['b', 'date'], ['c', 'text']], counts: ['x', 'y'], primaryKey: ['c', 'a', 'b'] };
const inPrimaryKeyOrder = (row: readonly unknown[]) => [row[2], row[0], row[1]] as string[];
/** COLLATE "C": the texts' UTF-8 bytes compared, column by column. */
const byColumns = (a: readonly string[], b: readonly string[]) => a.reduce((order, value, i) => order || Buffer.compare(Buffer.from(value), Buffer.from(b[i])), 0);

describe('SpilledCounts', () => {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'spill-spec-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('sums its runs per key as a Map of every change does, in the primary key\'s COLLATE "C" order, a cell whose first count sums to 0 left out', () => {
    const value = fc.constantFrom('p', 'q', 'P', 'r', '2022-01-07', '2022-11-30', '', 'é', 'z');
    const change = fc.tuple(fc.tuple(value, value, value), fc.integer({ min: -2, max: 2 }), fc.nat(1));
    fc.assert(
      fc.property(fc.array(fc.array(change, { maxLength: 60 }), { maxLength: 8 }), (runs) => {
        const spilled = new SpilledCounts(TABLE, directory);
        const sums = new Map<string, number[]>();
        try {
          for (const run of runs) {
            // Each run its own codes, as each spill of a fold has.
            const deltas = new Deltas(3, 2, undefined, 4);
            for (const [key, n, at] of run) {
              deltas.add(key.map((text) => deltas.codes.of(text)), n, at);
              const sum = sums.get(JSON.stringify(key)) ?? [0, 0];
              sum[at] += n;
              sums.set(JSON.stringify(key), sum);
            }
            spilled.add(deltas);
          }
          const expected = [...sums].filter(([, n]) => n[0] !== 0).map(([key, n]) => [...(JSON.parse(key) as string[]), ...n]);
          const rows = [...spilled.rows()];
          expect(rows.map(inPrimaryKeyOrder)).toEqual(expected.map(inPrimaryKeyOrder).sort(byColumns));
          expect([...rows].sort((a, b) => byColumns(inPrimaryKeyOrder(a), inPrimaryKeyOrder(b)))).toEqual(
            [...expected].sort((a, b) => byColumns(inPrimaryKeyOrder(a), inPrimaryKeyOrder(b))),
          );
        } finally {
          spilled.close();
        }
      }),
    );
  });

  it('reads runs longer than a read buffer, and leaves no file behind', () => {
    const spilled = new SpilledCounts(TABLE, directory);
    let expectedCells = 0;
    for (let run = 0; run < 3; run++) {
      const deltas = new Deltas(3, 2);
      for (let cell = 0; cell < 5000; cell++) deltas.add([deltas.codes.of(`k${(cell * 7 + run) % 4999}`), deltas.codes.of('2022-01-07'), deltas.codes.of(String(cell % 3))], 1);
      expectedCells += deltas.size;
      spilled.add(deltas);
    }
    expect(spilled.cells).toBe(expectedCells);
    expect(readdirSync(directory)).toEqual([]);
    const rows = [...spilled.rows()];
    expect(rows.reduce((total, row) => total + (row[3] as number), 0)).toBe(15_000);
    expect(new Set(rows.map((row) => `${row[0]}|${row[2]}`)).size).toBe(rows.length);
    spilled.close();
  });

  it('sums and orders keys too wide to compare in one packed number (thousands of texts, six columns)', () => {
    const WIDE: CountTable = { name: 'wide', keys: [['a', 'text'], ['b', 'text'], ['c', 'text'], ['d', 'text'], ['e', 'text'], ['f', 'text']], primaryKey: ['f', 'a', 'b', 'c', 'd', 'e'] };
    const text = fc.integer({ min: 0, max: 3_000 }).map((n) => `t${n}`);
    const few = fc.constantFrom('x', 'y');
    // The first four columns of the primary key (f, a, b, c) of few texts: keys alike in the first number, told apart by the second.
    const change = fc.tuple(fc.tuple(few, few, few, text, text, few), fc.integer({ min: -2, max: 2 }));
    fc.assert(
      fc.property(fc.array(fc.array(change, { maxLength: 300, size: 'max' }), { minLength: 1, maxLength: 4 }), (runs) => {
        const spilled = new SpilledCounts(WIDE, directory);
        const sums = new Map<string, number>();
        try {
          for (const run of runs) {
            const deltas = new Deltas(6);
            // Thousands of texts (12 bits a rank): a key of six columns packs into two numbers.
            for (let unused = 0; unused < 3_000; unused++) deltas.codes.of(`u${unused}`);
            for (const [key, n] of run) {
              deltas.add(key.map((value) => deltas.codes.of(value)), n);
              sums.set(JSON.stringify(key), (sums.get(JSON.stringify(key)) ?? 0) + n);
            }
            spilled.add(deltas);
          }
          const inKeyOrder = (row: readonly unknown[]) => [row[5], ...row.slice(0, 5)] as string[];
          const expected = [...sums].filter(([, n]) => n !== 0).map(([key, n]) => [...(JSON.parse(key) as string[]), n]);
          expect([...spilled.rows()]).toEqual(expected.sort((a, b) => byColumns(inKeyOrder(a), inKeyOrder(b))));
        } finally {
          spilled.close();
        }
      }),
      { numRuns: 30 },
    );
  });
});
