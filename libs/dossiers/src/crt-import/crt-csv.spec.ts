import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRT_COLUMNS, CRT_OPTIONAL_COLUMNS, CrtFileRefused, crtEncoding, decodeCrtExport, parseCrtExport, readCrtExport } from './crt-csv';

const fixture = (name: string) => readFileSync(join(__dirname, '../../../../test/fixtures/crt-import', name));
/** The refusal a file meets, as { line, reason }. */
function refusal(read: () => unknown): { line: number; reason: string } {
  try {
    read();
  } catch (error) {
    if (error instanceof CrtFileRefused) return { line: error.line, reason: error.reason };
    throw error;
  }
  throw new Error('the file was not refused');
}

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
    const { rows, problems } = readCrtExport(readFileSync(join(__dirname, '../../../../docs/crt-import-sample.csv')));
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
      ['ChangeResidenceStatus', '2024-03-01'],
    ]);
    expect(rows[0].commands.at(-1)).toEqual({ type: 'ChangeResidenceStatus', on: '2024-03-01', status: 'single-permit' });
    expect(rows[1].commands.at(-1)).toEqual({ type: 'RecordDeparture', on: '2023-05-31', reason: 'returned-to-ukraine' });
    expect(rows[2].registration.person.nationality).toBe('UKR');
  });

  it('puts a job that ends before the next starts on the same day, and a departure last', () => {
    const { rows } = parseCrtExport([header, row({ ...valid, employment: '2023-01-01|2023-06-30;2023-06-30|', left_on: '2023-06-30', left_reason: 'moved-abroad' })].join('\n'));
    expect(rows[0].commands.map((c) => c.type)).toEqual(['StartEmployment', 'EndEmployment', 'StartEmployment', 'RecordDeparture']);
  });

  it('reads residence statuses from the optional column, oldest first, before a departure on the same day', () => {
    const withStatus = [...CRT_COLUMNS, ...CRT_OPTIONAL_COLUMNS];
    const line = (fields: Record<string, string>) => withStatus.map((column) => fields[column] ?? '').join(',');
    const { rows, problems } = parseCrtExport(
      [
        withStatus.join(','),
        line({ ...valid, residence_status: '2023-01-01|single-permit;2024-06-30|international-protection-applied', left_on: '2024-06-30', left_reason: 'moved-abroad' }),
        line({ ...valid, residence_status: '2023-01-01|temporary-protection' }),
        line({ ...valid, residence_status: '2023-01-01' }),
      ].join('\n'),
    );
    expect(rows[0].commands).toEqual([
      { type: 'ChangeResidenceStatus', on: '2023-01-01', status: 'single-permit' },
      { type: 'ChangeResidenceStatus', on: '2024-06-30', status: 'international-protection-applied' },
      { type: 'RecordDeparture', on: '2024-06-30', reason: 'moved-abroad' },
    ]);
    // Temporary protection is where a dossier starts, not a status to move to.
    expect(problems).toEqual([
      { line: 3, reason: expect.stringContaining('residence status "temporary-protection" is not one of single-permit') },
      { line: 4, reason: expect.stringContaining('residence status "" is not one of') },
    ]);
  });

  it('reads an export without the optional columns, as the registration tools wrote them', () => {
    const { rows, problems } = parseCrtExport([header, row(valid)].join('\n'));
    expect(header).not.toContain('residence_status');
    expect(problems).toEqual([]);
    expect(rows[0].commands).toEqual([]);
  });

  it.each([
    [{ birth_date: '1985-02-30' }, 'birth_date "1985-02-30" is not a date as YYYY-MM-DD'],
    [{ birth_date: '0000-01-01' }, 'birth_date "0000-01-01" is not a date as YYYY-MM-DD from 1900-01-01 to 2099-12-31'],
    [{ given_name: 'a\u0000b' }, 'given_name holds U+0000'],
    [{ family_name: 'K\u001b[2J' }, 'family_name holds U+0000, another control character'],
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
    expect(refusal(() => parseCrtExport('name,born\nOlena,1985-07-30\n'))).toEqual({
      line: 1,
      reason: expect.stringContaining('missing columns: given_name'),
    });
  });
});

describe('CRT export files', () => {
  it('reads UTF-8 with a byte-order mark, separated by ";" as Excel saves in Belgium, with quoted cells holding ";"', () => {
    const { rows, problems } = readCrtExport(fixture('utf8-bom-semicolon.csv'));
    expect(problems).toEqual([]);
    expect(rows.map((r) => [r.registration.person.givenName, r.registration.person.familyName])).toEqual([
      ['Андрій', 'Шевченко'],
      ['Zoë', 'Müller'],
    ]);
    expect(rows[0].commands.map((c) => c.type)).toEqual(['HousePerson', 'RehousePerson', 'StartEmployment', 'EndEmployment', 'StartEmployment']);
  });

  it('reads UTF-8 without a byte-order mark: the documented sample', () => {
    expect(readCrtExport(fixture('../../../docs/crt-import-sample.csv')).rows).toHaveLength(3);
  });

  it('refuses a Windows-1252 file read as UTF-8, with the line of the first byte that is not UTF-8', () => {
    expect(refusal(() => readCrtExport(fixture('windows-1252.csv')))).toEqual({
      line: 3,
      reason: expect.stringMatching(/^not valid UTF-8\. .*--encoding windows-1252/),
    });
  });

  it('reads it when told its encoding, windows-1252 or latin1 alike', () => {
    for (const name of ['windows-1252', 'latin1', 'ISO-8859-1', 'cp1252']) {
      const { rows, problems } = readCrtExport(fixture('windows-1252.csv'), crtEncoding(name));
      expect(problems).toEqual([]);
      expect(rows.map((r) => `${r.registration.person.givenName} ${r.registration.person.familyName}`)).toEqual([
        'Oksana Hnatiuk',
        'Zoë Müller-Sørensen',
        'André Dvorák',
      ]);
    }
    expect(crtEncoding('utf-16')).toBeUndefined();
  });

  it('refuses bytes that read as control characters, which no name holds, even in Windows-1252', () => {
    const bytes = Buffer.concat([Buffer.from(`${header}\n`), Buffer.from([0x4f, 0x81, 0x6c, 0x61]), Buffer.from('\n')]);
    expect(refusal(() => decodeCrtExport(bytes, 'windows-1252'))).toEqual({ line: 2, reason: expect.stringContaining('control character U+0081') });
  });

  it('refuses UTF-16, saying how to save the file instead', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(header, 'utf16le')]);
    expect(refusal(() => readCrtExport(bytes))).toEqual({ line: 1, reason: expect.stringContaining('save it as "CSV UTF-8"') });
  });

  it.each([
    ['empty.csv', 'the file is empty'],
    ['header-only.csv', 'the file has a header line but no rows'],
    ['unknown-column.csv', 'unknown columns: "remarks"'],
  ])('refuses %s: %s', (name, reason) => {
    expect(refusal(() => readCrtExport(fixture(name)))).toEqual({ line: 1, reason: expect.stringContaining(reason) });
  });

  it('refuses a header line that mixes both separators, or names a column twice', () => {
    const mixed = CRT_COLUMNS.slice(0, 3).join(';') + ',' + CRT_COLUMNS.slice(3).join(',');
    expect(refusal(() => parseCrtExport(`${mixed}\n`))).toEqual({ line: 1, reason: expect.stringContaining('separator is unclear') });
    expect(refusal(() => parseCrtExport(`${header},given_name\n${row(valid)},Olena\n`))).toEqual({
      line: 1,
      reason: expect.stringContaining('columns given twice: given_name'),
    });
  });

  it('refuses broken quoting with its line', () => {
    expect(refusal(() => parseCrtExport(`${header}\n${row(valid)}\n"Olena,Kovalenko\n`))).toEqual({ line: expect.any(Number), reason: expect.stringMatching(/^not a valid CSV file/) });
  });
});
