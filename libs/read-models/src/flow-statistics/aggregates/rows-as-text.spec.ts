import { openReadModelDatabase } from '@app/projection-engine/testing';
import { eachRowOfText, rowsAsText, type RowsText, type RowsTextBy } from './rows-as-text';

const rowsOf = (read: RowsText) => {
  const rows: string[][] = [];
  eachRowOfText(read, (fields) => rows.push([...fields]));
  return rows;
};

describe('eachRowOfText', () => {
  it('splits the rows at the record separator and their fields at the unit separator', () => {
    expect(rowsOf({ rows: '2024-01-01\x1f10\x1fregistered\x1e2024-02-01\x1f20\x1fleft', count: 2 })).toEqual([
      ['2024-01-01', '10', 'registered'],
      ['2024-02-01', '20', 'left'],
    ]);
  });

  it('keeps empty fields, first, last and between, and a row of one empty field', () => {
    expect(rowsOf({ rows: '\x1fa\x1f\x1e\x1e\x1f\x1f', count: 3 })).toEqual([['', 'a', ''], [''], ['', '', '']]);
  });

  it("hands over each field as written, where it repeats the row before's, differs from it in a character or in length, or the rows' lengths differ", () => {
    const rows = [
      ['2024-01-01', '', 'PersonRehoused', 'job', '10', '10'],
      ['2024-01-01', '', 'PersonRehoused', 'job', '100', '10'],
      ['2024-01-01', '', 'PersonRehoused', 'jobs', '10', '1'],
      ['2024-02-01', '11', 'PersonRehoused', '', '10', '1'],
      ['2024-02-01', '11'],
      ['2024-02-01', '11', 'PersonLeft', '', '', ''],
      ['2024-02-01', '12', 'PersonLeft', '', '', ''],
    ];
    expect(rowsOf({ rows: rows.map((fields) => fields.join('\x1f')).join('\x1e'), count: rows.length })).toEqual(rows);
  });

  it('reads no rows as none', () => {
    expect(rowsOf({ rows: null, count: 0 })).toEqual([]);
  });

  it('refuses an answer whose text holds fewer rows than were read (a NULL field drops its row from string_agg)', () => {
    expect(() => rowsOf({ rows: '2024-01-01\x1f10', count: 2 })).toThrow('sent 1 rows of 2');
    expect(() => rowsOf({ rows: null, count: 1 })).toThrow('sent 0 rows of 1');
  });
});

describe('rowsAsText', () => {
  let database: Awaited<ReturnType<typeof openReadModelDatabase>>;

  beforeAll(async () => {
    database = await openReadModelDatabase();
  });
  afterAll(() => database?.close());

  /** A read's rows as rowsAsText sends them back, split, by their value of `by`. */
  const readBy = async (read: string) => {
    const rows = (await database.dataSource.query(rowsAsText('b', ['f1', 'f2::text'], read))) as RowsTextBy[];
    return new Map(rows.map((row) => [row.by, rowsOf(row)]));
  };
  const sorted = (rows: string[][] | undefined) => [...(rows ?? [])].sort((a, b) => a.join('|').localeCompare(b.join('|')));

  it("sends one text per value of `by`, holding exactly that value's rows, however the rows were ordered", async () => {
    const rows: Array<[string, string, number]> = [];
    for (let i = 0; i < 200; i++) rows.push([`2024-${String(1 + ((i * 7) % 12)).padStart(2, '0')}-01`, i % 3 === 0 ? '' : `m${i % 5}`, i]);
    const read = `SELECT * FROM (VALUES ${rows.map(([b, f1, f2]) => `('${b}', '${f1}', ${f2})`).join(', ')}) AS v (b, f1, f2)`;
    const byValue = await readBy(read);
    const expected = new Map<string, string[][]>();
    for (const [b, f1, f2] of rows) (expected.get(b) ?? expected.set(b, []).get(b)!).push([f1, String(f2)]);
    expect([...byValue.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [b, fields] of expected) expect(sorted(byValue.get(b))).toEqual(sorted(fields));
  });

  it('sends nothing for a read of no rows', async () => {
    expect(await readBy(`SELECT 'a'::text AS b, 'x'::text AS f1, 1 AS f2 WHERE false`)).toEqual(new Map());
  });

  it('refuses the text of a value one of whose rows had a NULL field, and only that one', async () => {
    const rows = (await database.dataSource.query(
      rowsAsText('b', ['f1', 'f2::text'], `SELECT * FROM (VALUES ('a', 'x', 1), ('a', NULL, 2), ('b', 'y', 3)) AS v (b, f1, f2)`),
    )) as RowsTextBy[];
    const of = (b: string) => rows.find((row) => row.by === b)!;
    expect(() => rowsOf(of('a'))).toThrow('sent 1 rows of 2');
    expect(rowsOf(of('b'))).toEqual([['y', '3']]);
  });
});
