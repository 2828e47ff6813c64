import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRT_COLUMNS, parseCrtExport } from './crt-csv';

const header = CRT_COLUMNS.join(',');
const row = (fields: Partial<Record<(typeof CRT_COLUMNS)[number], string>>) => CRT_COLUMNS.map((column) => fields[column] ?? '').join(',');
const valid = {
  given_name: 'Olena',
  family_name: 'Kovalenko',
  birth_date: '1985-07-30',
  nationality: 'UKR',
  protection_granted_on: '2022-03-21',
  registered_on: '2022-03-24',
  municipality: '11002',
};

describe('CRT export CSV', () => {
  it('reads the documented sample into registrations and the facts of each stay, in business order', () => {
    const { rows, problems } = parseCrtExport(readFileSync(join(__dirname, '../../../../docs/crt-import-sample.csv'), 'utf8'));
    expect(problems).toEqual([]);
    expect(rows.map((r) => [r.line, r.key])).toEqual([
      [2, '85073003328'],
      [3, '90021412105'],
      [4, 'TB-2022-0099881'],
    ]);
    expect(rows[0].registration).toMatchObject({
      person: { givenName: 'Olena', nationalRegisterNumber: '85073003328', sex: 'female' },
      protection: { attestationNumber: 'TB-2022-0012345', grantedOn: '2022-03-21' },
      municipality: '11002',
      householdId: 'household-42',
    });
    expect(rows[0].commands.map((c) => [c.type, 'on' in c ? c.on : ''])).toEqual([
      ['HousePerson', '2022-03-25'],
      ['RehousePerson', '2022-06-01'],
      ['EnrolInInburgering', '2022-06-15'],
      ['EnrolInInburgering', '2023-01-10'],
      ['RegisterAtVdab', '2023-02-01'],
      ['StartEmployment', '2023-03-01'],
      ['EndEmployment', '2023-12-31'],
      ['StartEmployment', '2024-02-01'],
    ]);
    expect(rows[1].commands.at(-1)).toEqual({ type: 'RecordDeparture', on: '2023-05-31', reason: 'returned-to-ukraine' });
    expect(rows[2].registration.person.nationality).toBe('UKR');
  });

  it('puts a job that ends before the next starts on the same day, and a departure last', () => {
    const { rows } = parseCrtExport([header, row({ ...valid, employment: '2023-01-01|2023-06-30;2023-06-30|', left_on: '2023-06-30', left_reason: 'moved-abroad' })].join('\n'));
    expect(rows[0].commands.map((c) => c.type)).toEqual(['StartEmployment', 'EndEmployment', 'StartEmployment', 'RecordDeparture']);
  });

  it.each([
    [{ birth_date: '1985-02-30' }, 'birth_date "1985-02-30" is not a date as YYYY-MM-DD'],
    [{ given_name: '' }, 'given_name is empty'],
    [{ municipality: 'Gent' }, 'municipality "Gent" is not a 5-digit NIS code'],
    [{ national_register_number: '1234' }, 'national_register_number is not 11 digits'],
    [{ housing: '2022-03-25|tent|11002' }, 'housing type "tent" is not one of'],
    [{ housing: '2022-03-25|collective|11002;2022-04-01|loi|11002' }, 'rehousing reason "" is not one of'],
    [{ left_reason: 'moved-abroad' }, 'left_reason is given without left_on'],
    [{ nationality: 'Ukraine' }, 'nationality is not an ISO 3166-1 alpha-3 code'],
  ])('reports %p with its line and reason', (fields, reason) => {
    const { rows, problems } = parseCrtExport([header, row(valid), row({ ...valid, ...fields })].join('\n'));
    expect(rows).toHaveLength(1);
    expect(problems).toEqual([{ line: 3, reason: expect.stringContaining(reason) }]);
  });

  it('refuses a file without the documented columns', () => {
    expect(parseCrtExport('name,born\nOlena,1985-07-30\n')).toEqual({
      records: 1,
      rows: [],
      problems: [{ line: 1, reason: expect.stringContaining('missing columns: given_name') }],
    });
  });
});
