import { randomUUID } from 'node:crypto';
import { CrtImporter } from '../apps/api/src/import/crt-importer';
import { CRT_COLUMNS } from '../apps/api/src/import/crt-csv';
import { DossierApi, expectStatus, freshNationalRegisterNumber, PURPOSE } from './support/dossier-fixtures';
import { onPostgresStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';

type Column = (typeof CRT_COLUMNS)[number];

/** A registration tool's export imported through the command path (the CLI's `import crt`). */
describe(`CRT import (${onPostgresStore() ? 'postgres' : 'eventstoredb'} store)`, () => {
  let testApp: TestApp;
  let staff: DossierApi;
  const tag = randomUUID().slice(0, 8);
  const olena = freshNationalRegisterNumber();
  const taken = freshNationalRegisterNumber();
  const row = (fields: Partial<Record<Column, string>>) =>
    CRT_COLUMNS.map((column) => {
      const value = fields[column] ?? '';
      return /[",;\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
    }).join(',');
  const person = (givenName: string, extra: Partial<Record<Column, string>>) => ({
    given_name: givenName,
    family_name: `Importova-${tag}`,
    birth_date: '1980-05-05',
    nationality: 'UKR',
    protection_granted_on: '2022-03-21',
    registered_on: '2022-03-24',
    municipality: '11002',
    ...extra,
  });
  const file = [
    CRT_COLUMNS.join(','),
    row(person('Olena', {
      birth_date: olena.birthDate,
      national_register_number: olena.nationalRegisterNumber,
      housing: '2022-03-25|collective|11002;2022-06-01|host-family|11004|site-closed',
      inburgering: '2022-06-15|voortraject',
      vdab_registered_on: '2022-09-01',
      employment: '2022-10-01|2023-01-31',
      left_on: '2023-05-31',
      left_reason: 'returned-to-ukraine',
    })),
    row(person('Bad-Date', { attestation_number: `TB-${tag}-2`, registered_on: '2022-02-30' })),
    row(person('Housed-Before-Registration', { attestation_number: `TB-${tag}-3`, housing: '2022-03-01|collective|11002' })),
    row(person('Taken', { birth_date: taken.birthDate, national_register_number: taken.nationalRegisterNumber })),
    row(person('No-Number', { attestation_number: `TB-${tag}-5`, housing: '2022-04-01|loi|44021' })),
  ].join('\n');

  beforeAll(async () => {
    testApp = await startTestApp();
    staff = new DossierApi(testApp, await testApp.token('staff', 'import-staff'));
    // Someone registered this number by hand already.
    await staff.registered({ person: { birthDate: taken.birthDate, nationalRegisterNumber: taken.nationalRegisterNumber } });
  });
  afterAll(() => testApp?.close());

  const importFile = (content: string) =>
    testApp.app.get(CrtImporter).import(content, { actor: 'cli:importer', correlationId: `import-${tag}` });
  const listed = async () => {
    await waitForProjections(testApp);
    const page = await testApp
      .http()
      .get('/dossiers')
      .query({ q: `importova-${tag}`, sort: 'familyName', pageSize: '50' })
      .set({ Authorization: `Bearer ${staff.token}`, 'X-Purpose': PURPOSE });
    expectStatus(page, 200);
    return page.body.items as Array<{ dossierId: string; version: number; person: { givenName: string } }>;
  };

  it('imports each valid row as a dossier with its whole stay, and reports the others by line and reason', async () => {
    const outcome = await importFile(file);
    expect(outcome).toEqual({
      rows: 5,
      imported: 2,
      alreadyImported: 0,
      rejected: [
        { line: 3, reason: 'registered_on "2022-02-30" is not a date as YYYY-MM-DD' },
        { line: 4, reason: expect.stringMatching(/^date-before-registration: /) },
        { line: 5, reason: 'A dossier with this national register number already exists.' },
      ],
    });
    const items = await listed();
    expect(items.map((item) => item.person.givenName).sort()).toEqual(['No-Number', 'Olena']);
    const olenaDossier = items.find((item) => item.person.givenName === 'Olena')!;
    const history = await staff.history(olenaDossier.dossierId);
    expect(history.body.events.map((event: { type: string; actor: string }) => [event.type, event.actor])).toEqual([
      ['DossierRegistered', 'cli:importer'],
      ['PersonHoused', 'cli:importer'],
      ['PersonRehoused', 'cli:importer'],
      ['InburgeringEnrolled', 'cli:importer'],
      ['VdabRegistered', 'cli:importer'],
      ['EmploymentStarted', 'cli:importer'],
      ['EmploymentEnded', 'cli:importer'],
      ['PersonLeft', 'cli:importer'],
    ]);
  });

  it('creates nothing new when the same file is imported again', async () => {
    const before = await listed();
    const again = await importFile(file);
    expect(again).toMatchObject({ rows: 5, imported: 0, alreadyImported: 2 });
    expect(again.rejected.map((problem) => problem.line)).toEqual([3, 4, 5]);
    expect(await listed()).toEqual(before);
  });

  it('refuses a file that lacks the documented columns, importing nothing', async () => {
    expect(await importFile('name,born\nOlena,1980-05-05\n')).toEqual({
      rows: 1,
      imported: 0,
      alreadyImported: 0,
      rejected: [{ line: 1, reason: expect.stringContaining('missing columns') }],
    });
  });
});
