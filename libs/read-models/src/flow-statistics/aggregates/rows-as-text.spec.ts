import { rowsOfText } from './rows-as-text';

describe('rowsOfText', () => {
  it('splits the rows at the record separator and their fields at the unit separator', () => {
    expect(rowsOfText({ rows: '2024-01-01\x1f10\x1fregistered\x1e2024-02-01\x1f20\x1fleft', count: 2 })).toEqual([
      ['2024-01-01', '10', 'registered'],
      ['2024-02-01', '20', 'left'],
    ]);
  });

  it('reads no rows as none', () => {
    expect(rowsOfText({ rows: null, count: 0 })).toEqual([]);
  });

  it('refuses an answer whose text holds fewer rows than were read (a NULL field drops its row from string_agg)', () => {
    expect(() => rowsOfText({ rows: '2024-01-01\x1f10', count: 2 })).toThrow('sent 1 rows of 2');
    expect(() => rowsOfText({ rows: null, count: 1 })).toThrow('sent 0 rows of 1');
  });
});
