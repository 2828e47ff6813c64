import fc from 'fast-check';
import type { RebuildContext } from '@app/projection-engine';
import { Deltas, type CountTable } from './delta';
import { FinalCells, takeFinal } from './final-cells';

/** Cells of a day and a cohort (a month): a cell's last first day is its day, or its cohort's last day when that is earlier. */
const TABLE: CountTable = {
  name: 'counts',
  keys: [['cohort', 'text'], ['day', 'date'], ['measure', 'text']],
  counts: ['n', 'm'],
  primaryKey: ['measure', 'day', 'cohort'],
  lastStarts: [
    { columns: [1], of: ([day]) => day },
    { columns: [0], of: ([cohort]) => (cohort === '' ? null : `${cohort}-31`) },
  ],
};
const DAYS = ['2022-01-05', '2022-01-31', '2022-02-01', '2022-02-14', '2022-03-01'];
const cellArbitrary = fc.tuple(fc.constantFrom('', '2022-01', '2022-02'), fc.constantFrom(...DAYS), fc.constantFrom('a', 'b', 'c'), fc.integer({ min: -2, max: 3 }), fc.nat(1));

/** The cells' changes, by key, as rows (key values, then counts) in TABLE's primary key order. */
const rowsOf = (changes: Iterable<{ key: readonly string[]; n: readonly number[] }>) =>
  [...changes]
    .map(({ key, n }) => [...key, ...n])
    .sort((a, b) => [2, 1, 0].reduce((order, i) => order || (a[i] < b[i] ? -1 : a[i] > b[i] ? 1 : 0), 0));

describe('final cells', () => {
  it('takeFinal moves out exactly the cells one of whose bounds is before the day, and keeps the others with their counts', () => {
    fc.assert(
      fc.property(fc.array(cellArbitrary, { maxLength: 200 }), fc.constantFrom(...DAYS, '2021-12-31', '2022-12-31'), (cells, firstDay) => {
        const deltas = new Deltas(3, 2, undefined, 4);
        for (const [cohort, day, measure, n, at] of cells) deltas.add([cohort, day, measure].map((text) => deltas.codes.of(text)), n, at);
        const all = rowsOf(deltas.changes());
        const taken = takeFinal(TABLE, deltas, firstDay);
        const final = (row: unknown[]) => (row[1] as string) < firstDay || (row[0] !== '' && `${row[0]}-31` < firstDay);
        expect(rowsOf(taken.changes())).toEqual(all.filter(final));
        expect(rowsOf(deltas.changes())).toEqual(all.filter((row) => !final(row)));
        // The cells kept are still added to where they are.
        for (const [cohort, day, measure, n, at] of cells) deltas.add([cohort, day, measure].map((text) => deltas.codes.of(text)), n, at);
        const twice = all.filter((row) => !final(row)).map((row) => [...row.slice(0, 3), ...row.slice(3).map((n) => 2 * (n as number))]);
        expect(rowsOf(deltas.changes()).filter((row) => !final(row))).toEqual(twice);
      }),
    );
  });

  it('writes the cells handed over a few rows at a time, each hand-over in the order of the primary key, each table keyed after its rows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cellArbitrary, { maxLength: 60 }), { maxLength: 5 }), fc.integer({ min: 1, max: 40 }), async (handOvers, perWrite) => {
        const copies: Array<{ table: string; rows: unknown[][] }> = [];
        const keyed: string[] = [];
        const context: Pick<RebuildContext, 'schema' | 'copy' | 'keyAfterRows'> = {
          schema: 'rebuild',
          copy: async (table, _schema, _columns, rows) => void copies.push({ table, rows: [...rows].map((row) => [...row]) }),
          keyAfterRows: async (table) => {
            keyed.push(table);
            return true;
          },
        };
        const final = new FinalCells();
        const expected: unknown[][] = [];
        for (const cells of handOvers) {
          const deltas = new Deltas(3, 2);
          for (const [cohort, day, measure, n, at] of cells) deltas.add([cohort, day, measure].map((text) => deltas.codes.of(text)), n, at);
          expected.push(...rowsOf(deltas.changes()));
          final.add(TABLE, deltas);
        }
        // A few rows at a time, then the rest.
        await final.write(context, perWrite);
        expect(copies.reduce((rows, copy) => rows + copy.rows.length, 0)).toBeLessThanOrEqual(perWrite);
        await final.write(context, perWrite);
        await final.write(context);
        expect(copies.flatMap((copy) => copy.rows)).toEqual(expected);
        expect(keyed).toEqual(expected.length > 0 ? ['counts'] : []);
        await final.write(context);
        expect(copies.flatMap((copy) => copy.rows)).toEqual(expected);
      }),
    );
  });
});
