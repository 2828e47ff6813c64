import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { TestingModule } from '@nestjs/testing';
import { CommandTestFactory } from 'nest-commander-testing';
import { CliModule } from '../apps/api/src/cli/cli.module';
import { ImportCrtCommand } from '../apps/api/src/cli/commands';
import { ServiceContext } from '../apps/api/src/cli/service-context';
import { CRT_COLUMNS, CRT_OPTIONAL_COLUMNS, CrtFileRefused, CrtImporter, type CrtImportOptions } from '@app/dossiers';
import { DossierApi, expectStatus, freshNationalRegisterNumber, PURPOSE } from './support/dossier-fixtures';
import { eventStoreOfItsOwn, onPostgresStore, type SuiteEventStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, TEST_DEV_SECRET, type TestApp } from './support/test-app';

/** The file below has the optional residence status column too. */
const COLUMNS = [...CRT_COLUMNS, ...CRT_OPTIONAL_COLUMNS];
type Column = (typeof COLUMNS)[number];

/**
 * A registration tool's export imported through the command path: by the importer, and by the
 * command line (`import crt`) on real files, into the same store as the service. The suite has an
 * event store of its own: the files' dossiers have fixed ids.
 */
describe(`CRT import (${onPostgresStore() ? 'postgres' : 'eventstoredb'} store)`, () => {
  let eventStore: SuiteEventStore | undefined;
  let testApp: TestApp;
  let staff: DossierApi;
  const tag = randomUUID().slice(0, 8);
  const olena = freshNationalRegisterNumber();
  const taken = freshNationalRegisterNumber();
  const row = (fields: Partial<Record<Column, string>>) =>
    COLUMNS.map((column) => {
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
    COLUMNS.join(','),
    row(person('Olena', {
      birth_date: olena.birthDate,
      national_register_number: olena.nationalRegisterNumber,
      housing: '2022-03-25|collective|11002;2022-06-01|host-family|11004|site-closed',
      inburgering: '2022-06-15|voortraject',
      vdab_registered_on: '2022-09-01',
      employment: '2022-10-01|2023-01-31',
      residence_status: '2023-02-15|student',
      left_on: '2023-05-31',
      left_reason: 'returned-to-ukraine',
    })),
    row(person('Bad-Date', { attestation_number: `TB-${tag}-2`, registered_on: '2022-02-30' })),
    row(person('Housed-Before-Registration', { attestation_number: `TB-${tag}-3`, housing: '2022-03-01|collective|11002' })),
    row(person('Taken', { birth_date: taken.birthDate, national_register_number: taken.nationalRegisterNumber })),
    row(person('No-Number', { attestation_number: `TB-${tag}-5`, housing: '2022-04-01|loi|44021' })),
  ].join('\n');

  beforeAll(async () => {
    eventStore = await eventStoreOfItsOwn();
    testApp = await startTestApp(eventStore.env);
    staff = new DossierApi(testApp, await testApp.token('staff', 'import-staff'));
    // Someone registered this number by hand already.
    await staff.registered({ person: { birthDate: taken.birthDate, nationalRegisterNumber: taken.nationalRegisterNumber } });
  });
  afterAll(async () => {
    await testApp?.close();
    await eventStore?.stop();
  });

  const importFile = (content: string, options?: CrtImportOptions) =>
    testApp.app.get(CrtImporter).import(Buffer.from(content), { actor: 'cli:importer', correlationId: `import-${tag}` }, options);
  const listed = async (q = `importova-${tag}`) => {
    await waitForProjections(testApp);
    const page = await testApp
      .http()
      .get('/dossiers')
      .query({ q, sort: 'familyName', pageSize: '50' })
      .set({ Authorization: `Bearer ${staff.token}`, 'X-Purpose': PURPOSE });
    expectStatus(page, 200);
    return page.body.items as Array<{ dossierId: string; version: number; person: { givenName: string; familyName: string } }>;
  };

  it('checks every row in a dry run, down to numbers other dossiers hold, and records nothing', async () => {
    expect(await importFile(file, { dryRun: true })).toEqual({
      dryRun: true,
      rows: 5,
      imported: 2,
      alreadyImported: 0,
      commands: {
        RegisterDossier: 2,
        HousePerson: 2,
        RehousePerson: 1,
        EnrolInInburgering: 1,
        RegisterAtVdab: 1,
        StartEmployment: 1,
        EndEmployment: 1,
        ChangeResidenceStatus: 1,
        RecordDeparture: 1,
      },
      rejected: [
        { line: 3, reason: 'registered_on "2022-02-30" is not a date as YYYY-MM-DD from 1900-01-01 to 2099-12-31' },
        { line: 4, reason: expect.stringMatching(/^date-before-registration: /) },
        { line: 5, reason: 'A dossier with this national register number already exists.' },
      ],
    });
    expect(await listed()).toEqual([]);
  });

  it('imports each valid row as a dossier with its whole stay, and reports the others by line and reason', async () => {
    const outcome = await importFile(file);
    expect(outcome).toMatchObject({
      dryRun: false,
      rows: 5,
      imported: 2,
      alreadyImported: 0,
      rejected: [
        { line: 3, reason: 'registered_on "2022-02-30" is not a date as YYYY-MM-DD from 1900-01-01 to 2099-12-31' },
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
      ['ResidenceStatusChanged', 'cli:importer'],
      ['PersonLeft', 'cli:importer'],
    ]);
    expect(history.body.events.at(-2).data).toEqual({ on: '2023-02-15', status: 'student', previousStatus: 'temporary-protection' });
  });

  it('creates nothing new when the same file is imported again', async () => {
    const before = await listed();
    const again = await importFile(file);
    expect(again).toMatchObject({ rows: 5, imported: 0, alreadyImported: 2 });
    expect(again.rejected.map((problem) => problem.line)).toEqual([3, 4, 5]);
    expect(await listed()).toEqual(before);
  });

  it('refuses a file that lacks the documented columns, importing nothing', async () => {
    await expect(importFile('name,born\nOlena,1980-05-05\n')).rejects.toThrow(CrtFileRefused);
    await expect(importFile('name,born\nOlena,1980-05-05\n')).rejects.toThrow(/^line 1: unknown columns: "name", "born"; missing columns: given_name/);
  });

  describe('through the command line, on real files', () => {
    let cli: TestingModule;
    const saved = { ...process.env };
    const fixture = (name: string) => join(__dirname, 'fixtures/crt-import', name);

    beforeAll(async () => {
      // The same database, event store and local keys as the running service, as on one installation.
      Object.assign(process.env, {
        DATABASE_URL: testApp.databaseUrl,
        DATA_DIR: testApp.config.dataDir,
        EVENTSTORE_URL: eventStore?.env.EVENTSTORE_URL ?? '',
        AUTH_DEV_SECRET: TEST_DEV_SECRET,
        LOG_LEVEL: 'silent',
        USER: 'import-officer',
      });
      cli = await CommandTestFactory.createTestingCommand({ imports: [CliModule] }).compile();
    });
    afterAll(async () => {
      await cli?.get(ServiceContext).onApplicationShutdown();
      await cli?.close();
      process.env = saved;
    });

    /** commander keeps the options of one parse for the next (a process parses once): start each run afresh. */
    function forgetOptions(): void {
      type CommandNode = { parent: CommandNode | null; commands: readonly CommandNode[]; opts(): object; setOptionValue(key: string, value: unknown): unknown };
      // Set up at the first run.
      let root: CommandNode | undefined = cli.get(ImportCrtCommand)['command'];
      if (!root) return;
      while (root.parent) root = root.parent;
      const forget = (command: CommandNode) => {
        for (const key of Object.keys(command.opts())) command.setOptionValue(key, undefined);
        command.commands.forEach(forget);
      };
      forget(root);
    }

    /** Runs `npm run cli -- <args>` in this process: what it printed and the exit code it set. */
    async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
      const out: string[] = [];
      const err: string[] = [];
      const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0);
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => err.push(String(chunk)) > 0);
      process.exitCode = undefined;
      forgetOptions();
      try {
        await CommandTestFactory.run(cli, args);
        return { code: Number(process.exitCode ?? 0), out: out.join(''), err: err.join('') };
      } finally {
        process.exitCode = undefined;
        stdout.mockRestore();
        stderr.mockRestore();
      }
    }

    it('refuses a Windows-1252 file with the line that is not UTF-8, then imports it as written when told its encoding', async () => {
      const refused = await run('import', 'crt', fixture('windows-1252.csv'));
      expect(refused.code).toBe(4);
      expect(refused.err).toContain('windows-1252.csv: line 3: not valid UTF-8');
      expect(refused.err).toContain('--encoding windows-1252');
      expect(await listed('Müller-Sørensen')).toEqual([]);

      const imported = await run('import', 'crt', '--encoding', 'windows-1252', fixture('windows-1252.csv'));
      expect(imported).toMatchObject({ code: 0, err: expect.not.stringContaining('line') });
      expect(imported.out).toContain('3 rows: 3 imported, 0 already imported, 0 rejected.');
      const [zoe] = await listed('Müller-Sørensen');
      expect(zoe.person).toMatchObject({ givenName: 'Zoë', familyName: 'Müller-Sørensen' });
      const history = await staff.history(zoe.dossierId);
      expect(history.body.events[0]).toMatchObject({ type: 'DossierRegistered', actor: 'cli:import-officer' });
      expect(history.body.events[0].data.personal).toMatchObject({ givenName: 'Zoë', familyName: 'Müller-Sørensen' });
    });

    it('reads UTF-8 with a byte-order mark and ";" separators; a dry run first reports it and records nothing', async () => {
      const dryRun = await run('import', 'crt', '--dry-run', fixture('utf8-bom-semicolon.csv'));
      expect(dryRun.code).toBe(0);
      expect(dryRun.out).toContain('Dry run, nothing recorded. 2 rows: 2 to import, 0 already imported, 0 rejected.');
      expect(dryRun.out).toContain('2 RegisterDossier');
      expect(await listed('Шевченко')).toEqual([]);

      expect((await run('import', 'crt', fixture('utf8-bom-semicolon.csv'))).out).toContain('2 rows: 2 imported');
      const [andrii] = await listed('Шевченко');
      expect(andrii.person).toMatchObject({ givenName: 'Андрій', familyName: 'Шевченко' });
      expect((await run('import', 'crt', '--dry-run', fixture('utf8-bom-semicolon.csv'))).out).toContain('2 rows: 0 to import, 2 already imported');
    });

    it.each([
      ['empty.csv', 'line 1: the file is empty'],
      ['header-only.csv', 'line 1: the file has a header line but no rows'],
      ['unknown-column.csv', 'line 1: unknown columns: "remarks"'],
    ])('refuses %s whole, exiting 4 with a message', async (name, message) => {
      const refused = await run('import', 'crt', fixture(name));
      expect(refused.code).toBe(4);
      expect(refused.err).toContain(`${name}: ${message}`);
      expect(refused.err).toContain('Nothing imported.');
    });
  });
});
