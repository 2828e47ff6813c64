import fc from 'fast-check';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Deltas, type CountTable } from './delta';
import { SpilledCounts } from './spill';

const TABLE: CountTable = { name: 'counts', keys: [['a', 'text'], ['b', 'date'], ['c', 'text']], counts: ['x', 'y'], primaryKey: ['c', 'a', 'b'] };
const inPrimaryKeyOrder = (row: readonly unknown[]) => [row[2], row[0], row[1]] as string[];
const byColumns = (a: readonly string[], b: readonly string[]) => a.reduce((order, value, i) => order || (value < b[i] ? -1 : value > b[i] ? 1 : 0), 0);

describe('SpilledCounts', () => {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'spill-spec-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('sums its runs per key as one Deltas holding every change would, in the order of the primary key, a cell whose first count sums to 0 left out', () => {
    const change = fc.tuple(fc.array(fc.constantFrom('p', 'q', 'r', '2022-01-07', ''), { minLength: 3, maxLength: 3 }), fc.integer({ min: -2, max: 2 }), fc.nat(1));
    fc.assert(
      fc.property(fc.array(fc.array(change, { maxLength: 60 }), { maxLength: 6 }), (runs) => {
        const spilled = new SpilledCounts(TABLE, directory);
        const all = new Deltas(3, 2);
        try {
          for (const run of runs) {
            // Each run its own codes, as each spill of a fold has.
            const deltas = new Deltas(3, 2, undefined, 4);
            for (const [key, n, at] of run) {
              deltas.add(key.map((value) => deltas.codes.of(value)), n, at);
              all.add(key.map((value) => all.codes.of(value)), n, at);
            }
            spilled.add(deltas);
          }
          const expected = [...all.changes()].filter(({ n }) => n[0] !== 0).map(({ key, n }) => [...key, ...n]);
          const rows = [...spilled.rows()];
          expect([...rows].sort()).toEqual([...expected].sort());
          const keys = rows.map(inPrimaryKeyOrder);
          expect([...keys].sort(byColumns)).toEqual(keys);
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
});
