import { eachRowOfText, type RowsText } from './rows-as-text';

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
