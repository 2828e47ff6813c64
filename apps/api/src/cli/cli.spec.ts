import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestingModule } from '@nestjs/testing';
import { CommandTestFactory } from 'nest-commander-testing';
import { createTestDatabase } from '../../../../test/support/database';
import { CliModule } from './cli.module';
import { ServiceContext } from './service-context';

/** The command line wired to the service: each command run as a user would, on a database of its own. */
describe('command line', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let cli: TestingModule;
  const saved = { ...process.env };
  let output: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    Object.assign(process.env, {
      DATABASE_URL: database.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'dossiers-cli-')),
      AUTH_DEV_SECRET: 'cli-test-secret-that-is-long-enough-for-hs256',
      EVENTSTORE_URL: '',
      LOG_LEVEL: 'silent',
    });
    cli = await CommandTestFactory.createTestingCommand({ imports: [CliModule] }).compile();
  });

  beforeEach(() => {
    output = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
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

  it('imports the sample export, then nothing new the second time, and lists the projections', async () => {
    const sample = join(__dirname, '../../../../docs/crt-import-sample.csv');
    expect(readFileSync(sample, 'utf8')).toContain('Kovalenko');
    await run('import', 'crt', sample);
    expect(output.join('')).toContain('3 rows: 3 imported, 0 already imported, 0 rejected.');
    output = [];
    await run('import', 'crt', sample);
    expect(output.join('')).toContain('3 rows: 0 imported, 3 already imported, 0 rejected.');
    output = [];
    await run('projections', 'list');
    expect(output.join('')).toMatch(/^crt-registry\t/m);
  });
});
