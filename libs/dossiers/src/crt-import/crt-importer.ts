import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { decideInTurn, DossierRuleViolation } from '@app/domain';
import { DossierRepository } from '../dossier-repository';
import { ChangeDossierCommand, RegisterDossierCommand } from '../commands';
import { decisionContext } from '../dossier-writer';
import { CLOCK, deterministicUuid, type Clock } from '@app/platform';
import { NationalRegisterNumberTakenError } from '../errors';
import { NationalRegisterReservations } from '../national-register-reservations';
import { readCrtExport, type CrtEncoding, type CrtRow, type RowProblem } from './crt-csv';

export interface CrtImportOutcome {
  /** Nothing was recorded: the rows were checked as they would be imported. */
  readonly dryRun: boolean;
  /** Data rows in the file. */
  readonly rows: number;
  /** Dossiers this import registered or completed (in a dry run: would). */
  readonly imported: number;
  /** Rows whose dossier an earlier import of the same export already holds in full. */
  readonly alreadyImported: number;
  /** Commands by type for the dossiers imported (in a dry run: to be imported), registrations included. */
  readonly commands: Readonly<Record<string, number>>;
  /** Rows that imported nothing, with their line in the file and why. */
  readonly rejected: RowProblem[];
}

export interface ImportRequester {
  readonly actor: string;
  readonly correlationId: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface CrtImportOptions {
  /** Default UTF-8; anything else must be named (crt-csv.ts). */
  readonly encoding?: CrtEncoding;
  /** Check every row as the import would, down to the national register numbers held by other dossiers; record nothing. */
  readonly dryRun?: boolean;
}

/**
 * Imports a registration tool's CSV export through the command path: each valid row becomes a
 * registration and the facts of the stay, with the same handlers and rules as over HTTP. A row
 * is checked whole against the rules first, so a row with any problem imports nothing. Dossier
 * and command ids derive from the person (national register number, else attestation number,
 * else names, birth and registration date), so importing the same file again adds nothing and an
 * import that stopped half-way completes. A file that cannot be read as an export (its encoding,
 * separator, columns, or no rows) is refused whole: CrtFileRefused, nothing imported.
 */
@Injectable()
export class CrtImporter {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly dossiers: DossierRepository,
    private readonly reservations: NationalRegisterReservations,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async import(file: Uint8Array, requester: ImportRequester, options: CrtImportOptions = {}): Promise<CrtImportOutcome> {
    const dryRun = options.dryRun ?? false;
    const { records, rows, problems } = readCrtExport(file, options.encoding);
    const rejected: RowProblem[] = [...problems];
    const commands: Record<string, number> = {};
    let imported = 0;
    let alreadyImported = 0;
    const total = records;
    let done = records - rows.length;
    for (const row of rows) {
      const problem = this.ruleProblem(row);
      if (problem) {
        rejected.push({ line: row.line, reason: problem });
      } else {
        try {
          const outcome = dryRun ? await this.checkRow(row) : await this.importRow(row, requester);
          if (outcome === 'already-imported') {
            alreadyImported++;
          } else {
            imported++;
            for (const { type } of [row.registration, ...row.commands]) commands[type] = (commands[type] ?? 0) + 1;
          }
        } catch (error) {
          if (!(error instanceof DossierRuleViolation || error instanceof NationalRegisterNumberTakenError)) throw error;
          // Only what the rules cannot know beforehand: the number is another dossier's.
          rejected.push({ line: row.line, reason: error.message });
        }
      }
      requester.onProgress?.(++done, total);
    }
    return { dryRun, rows: total, imported, alreadyImported, commands, rejected: rejected.sort((a, b) => a.line - b.line) };
  }

  /** The row's commands decided in memory on the rules of today: the first one broken, if any. */
  private ruleProblem(row: CrtRow): string | undefined {
    const { refusal } = decideInTurn([{ ...row.registration, dossierId: dossierIdOf(row) }, ...row.commands], decisionContext(this.clock));
    return refusal && `${refusal.rule}: ${refusal.detail}`;
  }

  /** What importing the row would do, reading only; throws the refusal the import would meet. */
  private async checkRow(row: CrtRow): Promise<'import' | 'already-imported'> {
    const dossierId = dossierIdOf(row);
    const existing = await this.dossiers.load(dossierId);
    if (existing.version >= 1 + row.commands.length) return 'already-imported';
    const number = row.registration.person.nationalRegisterNumber;
    const holder = existing.version === 0 && number ? await this.reservations.holderOf(number) : undefined;
    if (holder !== undefined && holder !== dossierId) throw new NationalRegisterNumberTakenError(holder);
    return 'import';
  }

  private async importRow(row: CrtRow, requester: ImportRequester): Promise<'import' | 'already-imported'> {
    const dossierId = dossierIdOf(row);
    const existing = await this.dossiers.load(dossierId);
    if (existing.version >= 1 + row.commands.length) return 'already-imported';
    const context = (step: number) => ({
      actor: requester.actor,
      correlationId: requester.correlationId,
      commandId: deterministicUuid(`crt-import/${row.key}/${step}`),
    });
    await this.commandBus.execute(new RegisterDossierCommand({ ...row.registration, dossierId }, context(0)));
    for (const [index, command] of row.commands.entries()) {
      await this.commandBus.execute(new ChangeDossierCommand(dossierId, command, context(index + 1)));
    }
    return 'import';
  }
}

const dossierIdOf = (row: CrtRow) => deterministicUuid(`crt-import/${row.key}`);
