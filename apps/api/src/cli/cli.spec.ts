import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestingModule } from '@nestjs/testing';
import { CommandTestFactory } from 'nest-commander-testing';
import { createTestDatabase } from '@app/testing';
import { deterministicUuid } from '@app/platform';
import { DossierRepository } from '@app/dossiers';
import { CliModule, programName } from './cli.module';
import { TokenCommand } from './commands';
import { ServiceContext } from './service-context';

/** The command line wired to the service: each command run as a user would, on a database of its own. */
describe('command line', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let cli: TestingModule;
  const saved = { ...process.env };
  let output: string[];
  let errors: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    Object.assign(process.env, {
      DATABASE_URL: database.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'dossiers-cli-')),
      AUTH_DEV_SECRET: 'cli-test-secret-that-is-long-enough-for-hs256',
      EVENTSTORE_URL: '',
      LOG_LEVEL: 'silent',
      // As `npm run cli -- …` starts it.
      npm_lifecycle_event: 'cli',
    });
    cli = await CommandTestFactory.createTestingCommand({ imports: [CliModule] }).compile();
  });

  beforeEach(() => {
    output = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
    errors = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    });
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    await cli?.get(ServiceContext).onApplicationShutdown();
    await cli?.close();
    await database?.drop();
    process.env = saved;
  });

  const run = (...args: string[]) => CommandTestFactory.run(cli, args);

  it('prints a token for the roles asked for', async () => {
    await run('token', '--role', 'analyst', '--sub', 'ana');
    const [, payload] = output.join('').trim().split('.');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))).toMatchObject({ sub: 'ana', roles: ['analyst'] });
  });

  it('refuses to act for nobody: without --actor and without a login name nothing is imported', async () => {
    const sample = join(__dirname, '../../../../docs/crt-import-sample.csv');
    delete process.env.USER;
    delete process.env.LOGNAME;
    await run('import', 'crt', sample);
    expect(errors.join('')).toContain('who is acting? Give --actor <name>');
    expect(output.join('')).toBe('');
    errors = [];
    await run('import', 'crt', '--actor', 'not a name', sample);
    expect(errors.join('')).toContain('--actor "not a name" is not a name');
  });

  it('imports the sample export as the actor named, then nothing new the second time, and lists the projections', async () => {
    const sample = join(__dirname, '../../../../docs/crt-import-sample.csv');
    expect(readFileSync(sample, 'utf8')).toContain('Kovalenko');
    await run('import', 'crt', '--actor', 'a.peeters', sample);
    expect(output.join('')).toContain('3 rows: 3 imported, 0 already imported, 0 rejected.');
    output = [];
    process.env.USER = 'j.janssens';
    await run('import', 'crt', sample);
    expect(output.join('')).toContain('3 rows: 0 imported, 3 already imported, 0 rejected.');
    const app = await cli.get(ServiceContext).open();
    const olena = await app.get(DossierRepository).load(deterministicUuid('crt-import/85073003328'));
    expect(new Set(olena.events.map((event) => event.metadata.actor))).toEqual(new Set(['cli:a.peeters']));
    output = [];
    await run('projections', 'list');
    expect(output.join('')).toMatch(/^crt-registry\t/m);
  });

  it('seeds histories up to a day given, never one after today', async () => {
    await run('seed', '--persons', '3', '--today', '2999-01-01');
    expect(errors.join('')).toContain('--today 2999-01-01 is after today');
    errors = [];
    await run('seed', '--persons', '3', '--today', '2024-06-30');
    expect(output.join('')).toContain('Seeded 3 persons (seed 2022, histories up to 2024-06-30)');
  });

  it('names the program in its help, as it was started', async () => {
    await run('token', '--role', 'analyst');
    type Help = { parent: Help | null; commands: readonly Help[]; name(): string; helpInformation(): string };
    const program = (cli.get(TokenCommand)['command'] as Help).parent!;
    expect(program.helpInformation()).toMatch(/^Usage: npm run cli -- \[options\] \[command\]/);
    const importCrt = program.commands.find((c) => c.name() === 'import')!.commands.find((c) => c.name() === 'crt')!;
    expect(importCrt.helpInformation()).toMatch(/^Usage: npm run cli -- import crt \[options\] <file>/);
    expect(importCrt.helpInformation()).toMatch(/--encoding <name>[\s\S]*--dry-run[\s\S]*--actor <name>/);
    expect(programName({}, join(process.cwd(), 'dist/apps/api/apps/api/src/cli/main.js'))).toBe('node dist/apps/api/apps/api/src/cli/main.js');
  });
});
