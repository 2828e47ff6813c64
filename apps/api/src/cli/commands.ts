import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { SingleBar } from 'cli-progress';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { isCalendarDate, isSupportedDate } from '@app/domain';
import { devTokenForCommandLine, ROLES } from '@app/platform';
import { ArchiveExport } from '../archive/archive-export';
import { ArchiveRuns } from '../archive/archive-runs.service';
import { archiveRunView } from '../archive/archive.views';
import { AccessLog } from '../audit/access-log';
import { CRT_ENCODING_NAMES, crtEncoding, CrtFileRefused, CrtImporter, seedDossiers, type CrtEncoding } from '@app/dossiers';
import { ProjectionEngineHost } from '@app/read-models';
import { runRebuildCommand } from './rebuild-command';
import { cliActor, ServiceContext } from './service-context';

const positiveInteger = (name: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new Error(`${name} must be a whole number of at least 1`);
  return number;
};

const progressBar = (label: string, unit: string) =>
  new SingleBar({
    format: `${label} [{bar}] {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
    barCompleteChar: '=',
    barIncompleteChar: ' ',
    noTTYOutput: true,
    notTTYSchedule: 2000,
    stream: process.stderr,
  });

/** Exit codes besides 0 (done), 1 (failed) and 2 (bad configuration); README "Command line". */
export const EXIT_ROWS_REJECTED = 3;
export const EXIT_FILE_REFUSED = 4;

const print = (value: unknown) => process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);

@Command({ name: 'token', description: 'Print a bearer token the embedded default accepts (not with AUTH_JWKS_URL)' })
export class TokenCommand extends CommandRunner {
  constructor(private readonly service: ServiceContext) {
    super();
  }

  async run(_: string[], options: { role?: string[]; sub?: string; expiresIn?: number }): Promise<void> {
    print(await devTokenForCommandLine(this.service.config(), { roles: options.role ?? [], subject: options.sub, expiresInSeconds: options.expiresIn }));
  }

  @Option({ flags: '-r, --role <role>', description: `${ROLES.join(', ')}; repeatable` })
  parseRole(value: string, previous: string[] = []): string[] {
    return [...previous, value];
  }

  @Option({ flags: '-s, --sub <subject>', description: 'token subject (default dev-<first role>)' })
  parseSub(value: string): string {
    return value;
  }

  @Option({ flags: '--expires-in <seconds>', description: 'lifetime in seconds (default 8 hours, a working day)' })
  parseExpiresIn(value: string): number {
    return Number(value);
  }
}

@Command({ name: 'seed', description: 'Generate realistic dossiers through the command path (deterministic for a seed and --today: again adds nothing)' })
export class SeedCommand extends CommandRunner {
  constructor(private readonly service: ServiceContext) {
    super();
  }

  async run(_: string[], options: { persons?: number; seed?: number; concurrency?: number; today?: string }): Promise<void> {
    if (!options.persons) throw new Error('--persons is required');
    const app = await this.service.open();
    print(await seedDossiers(app, { persons: options.persons, seed: options.seed ?? 2022, concurrency: options.concurrency ?? 8, today: options.today }));
  }

  @Option({ flags: '--today <date>', description: 'the day the histories run up to (default today); fixed, the same data on every day' })
  parseToday(value: string): string {
    if (!isCalendarDate(value)) throw new Error('--today must be a date as YYYY-MM-DD');
    return value;
  }

  @Option({ flags: '-p, --persons <n>', description: 'how many persons' })
  parsePersons(value: string): number {
    return positiveInteger('--persons')(value);
  }

  @Option({ flags: '--seed <n>', description: 'random seed (default 2022)' })
  parseSeed(value: string): number {
    return positiveInteger('--seed')(value);
  }

  @Option({ flags: '--concurrency <n>', description: 'persons sent at a time (default 8)' })
  parseConcurrency(value: string): number {
    return positiveInteger('--concurrency')(value);
  }
}

/**
 * A command that records something as the person running it: `--actor`, else the login name;
 * without either it is refused before anything opens (cliActor).
 */
abstract class ActingCommand extends CommandRunner {
  @Option({ flags: '--actor <name>', description: 'who is acting, recorded as cli:<name> (default: the login name, $USER)' })
  parseActor(value: string): string {
    return value;
  }
}

@SubCommand({ name: 'crt', arguments: '<file>', description: 'Import a CRT export (CSV, docs/crt-import.md) through the command path' })
export class ImportCrtCommand extends ActingCommand {
  constructor(private readonly service: ServiceContext) {
    super();
  }

  async run([file]: string[], options: { encoding?: CrtEncoding; dryRun?: boolean; actor?: string }): Promise<void> {
    // A dry run records nothing, so it needs nobody to answer for it.
    const actor = options.dryRun ? '' : cliActor(options.actor);
    const bytes = await readFile(file);
    const app = await this.service.open();
    const bar = progressBar(options.dryRun ? 'check' : 'import', 'rows');
    const started = Date.now();
    let begun = false;
    let outcome;
    try {
      outcome = await app.get(CrtImporter).import(
        bytes,
        {
          actor,
          correlationId: `import-${randomUUID()}`,
          onProgress: (done, total) => {
            if (!begun) bar.start(total, 0, { rate: 0 });
            begun = true;
            bar.update(done, { rate: Math.round(done / Math.max(0.001, (Date.now() - started) / 1000)) });
          },
        },
        { encoding: options.encoding, dryRun: options.dryRun },
      );
    } catch (error) {
      if (!(error instanceof CrtFileRefused)) throw error;
      process.stderr.write(`${file}: ${error.message}\nNothing imported.\n`);
      process.exitCode = EXIT_FILE_REFUSED;
      return;
    } finally {
      bar.stop();
    }
    for (const { line, reason } of outcome.rejected) process.stderr.write(`line ${line}: ${reason}\n`);
    const counts = `${outcome.rows} rows: ${outcome.imported} ${outcome.dryRun ? 'to import' : 'imported'}, ${outcome.alreadyImported} already imported, ${outcome.rejected.length} rejected.`;
    if (outcome.dryRun) {
      const commands = Object.entries(outcome.commands).map(([type, n]) => `${n} ${type}`);
      print(`Dry run, nothing recorded. ${counts}${commands.length > 0 ? ` The import would send ${commands.join(', ')}.` : ''}`);
    } else {
      print(counts);
    }
    if (outcome.rejected.length > 0) process.exitCode = EXIT_ROWS_REJECTED;
  }

  @Option({ flags: '--encoding <name>', description: `the file's encoding when it is not UTF-8: windows-1252 (also latin1); default utf-8` })
  parseEncoding(value: string): CrtEncoding {
    const encoding = crtEncoding(value);
    if (!encoding) throw new Error(`--encoding must be one of ${CRT_ENCODING_NAMES.join(', ')}`);
    return encoding;
  }

  @Option({ flags: '--dry-run', description: 'check every row as the import would and report what it would import; record nothing' })
  parseDryRun(): boolean {
    return true;
  }
}

@Command({ name: 'import', description: 'Import data from other systems', subCommands: [ImportCrtCommand] })
export class ImportCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}

@SubCommand({ name: 'list', description: 'Each projection: state, position, lag' })
export class ProjectionsListCommand extends CommandRunner {
  constructor(private readonly service: ServiceContext) {
    super();
  }

  async run(): Promise<void> {
    const app = await this.service.open();
    await runRebuildCommand(app.get(ProjectionEngineHost).engine, undefined, process.stdout);
  }
}

@SubCommand({ name: 'rebuild', arguments: '<name>', description: 'Rebuild a read model beside the live one, then switch atomically' })
export class ProjectionsRebuildCommand extends CommandRunner {
  constructor(private readonly service: ServiceContext) {
    super();
  }

  async run([name]: string[]): Promise<void> {
    const app = await this.service.open();
    await runRebuildCommand(app.get(ProjectionEngineHost).engine, name, process.stderr);
  }
}

@Command({ name: 'projections', description: 'List or rebuild the read models', subCommands: [ProjectionsListCommand, ProjectionsRebuildCommand] })
export class ProjectionsCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}

@SubCommand({ name: 'run', description: 'Archive dossiers closed before a date, or all (with a reason); as POST /archive/runs' })
export class ArchiveRunCommand extends ActingCommand {
  constructor(private readonly service: ServiceContext) {
    super();
  }

  async run(_: string[], options: { closedBefore?: string; all?: boolean; reason?: string; actor?: string }): Promise<void> {
    if (Boolean(options.all) === Boolean(options.closedBefore)) throw new Error('give --closed-before YYYY-MM-DD, or --all with --reason');
    if (options.all && !options.reason) throw new Error('--all needs --reason');
    const actor = cliActor(options.actor);
    // The run needs the archive index up to date: follow the log here too (the lock keeps one writer).
    const app = await this.service.open({ projections: true });
    const { run, resumed } = await app.get(ArchiveRuns).run(
      { closedBefore: options.closedBefore ?? null, reason: options.reason ?? null },
      { actor, correlationId: `archive-run-${randomUUID()}` },
    );
    print(archiveRunView(run, resumed));
  }

  @Option({ flags: '--closed-before <date>', description: 'archive dossiers whose person left before this date' })
  parseClosedBefore(value: string): string {
    if (!isSupportedDate(value)) throw new Error('--closed-before must be a date as YYYY-MM-DD from 1900-01-01 to 2099-12-31');
    return value;
  }

  @Option({ flags: '--all', description: 'archive every dossier (needs --reason)' })
  parseAll(): boolean {
    return true;
  }

  @Option({ flags: '--reason <text>', description: 'why (required with --all)' })
  parseReason(value: string): string {
    return value;
  }
}

@SubCommand({ name: 'export', arguments: '[file]', description: 'Write the archive as NDJSON (as GET /archive/export) to a file, or standard output' })
export class ArchiveExportCommand extends ActingCommand {
  constructor(private readonly service: ServiceContext) {
    super();
  }

  async run([file]: string[], options: { purpose?: string; actor?: string }): Promise<void> {
    if (!options.purpose) throw new Error('--purpose is required: the export is recorded in the access log with it');
    const actor = cliActor(options.actor);
    const app = await this.service.open();
    const exporter = app.get(ArchiveExport);
    const ids = await exporter.dossierIds();
    await app.get(AccessLog).recordAccess({
      actor,
      roles: ['admin'],
      method: 'CLI',
      path: 'archive export',
      purpose: options.purpose,
      dossierIds: ids,
      correlationId: `archive-export-${randomUUID()}`,
    });
    const output = file ? createWriteStream(file) : process.stdout;
    const bar = progressBar('export', 'dossiers');
    const started = Date.now();
    if (file) bar.start(ids.length, 0, { rate: 0 });
    let done = 0;
    for await (const line of exporter.lines(ids)) {
      if (!output.write(line)) await once(output, 'drain');
      if (file) bar.update(++done, { rate: Math.round(done / Math.max(0.001, (Date.now() - started) / 1000)) });
    }
    bar.stop();
    if (file) {
      output.end();
      await once(output, 'finish');
      print(`Exported ${ids.length} archived dossiers to ${file}.`);
    }
  }

  @Option({ flags: '--purpose <text>', description: 'why, for the access log (required)' })
  parsePurpose(value: string): string {
    return value;
  }
}

@SubCommand({ name: 'purge', description: 'Erase the personal data of archived dossiers past retainUntil; as POST /archive/purge' })
export class ArchivePurgeCommand extends ActingCommand {
  constructor(private readonly service: ServiceContext) {
    super();
  }

  async run(_: string[], options: { actor?: string }): Promise<void> {
    const actor = cliActor(options.actor);
    const app = await this.service.open({ projections: true });
    print(await app.get(ArchiveRuns).purge(undefined, { actor, correlationId: `archive-purge-${randomUUID()}` }));
  }
}

@Command({ name: 'archive', description: 'Archive runs, export and purge', subCommands: [ArchiveRunCommand, ArchiveExportCommand, ArchivePurgeCommand] })
export class ArchiveCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}

export const CLI_COMMANDS = [
  TokenCommand,
  SeedCommand,
  ImportCommand,
  ImportCrtCommand,
  ProjectionsCommand,
  ProjectionsListCommand,
  ProjectionsRebuildCommand,
  ArchiveCommand,
  ArchiveRunCommand,
  ArchiveExportCommand,
  ArchivePurgeCommand,
];
