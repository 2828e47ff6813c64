import { renderCsv } from './csv';

describe('renderCsv', () => {
  const table = [
    ['group_name', 'value', 'rate'],
    ['Brussel; Bruxelles', 12, 0.875],
    ['Liège, "la cité ardente"', null, 1],
  ];

  it('writes RFC 4180 by default: , between fields, . in decimals, quotes where needed, CRLF, no byte order mark', () => {
    expect(renderCsv(table)).toBe('group_name,value,rate\r\nBrussel; Bruxelles,12,0.875\r\n"Liège, ""la cité ardente""",,1\r\n');
  });

  it('writes excel-be: a byte order mark, ; between fields, , in decimals, quotes where a field holds a ; or a quote', () => {
    expect(renderCsv(table, 'excel-be')).toBe('\uFEFFgroup_name;value;rate\r\n"Brussel; Bruxelles";12;0,875\r\n"Liège, ""la cité ardente""";;1\r\n');
  });

  it('changes the decimal mark of numbers only, never of text such as a date or a code', () => {
    expect(renderCsv([['2021.04', 2.5, '0.5']], 'excel-be')).toBe('\uFEFF2021.04;2,5;0.5\r\n');
  });
});
