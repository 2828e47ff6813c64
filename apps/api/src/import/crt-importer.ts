import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { decide, DossierRuleViolation, evolve, initialState, type DossierState } from '@app/domain';
import { deterministicUuid } from '@app/platform';
import { DossierRepository } from '../dossiers/dossier-repository';
import { ChangeDossierCommand, RegisterDossierCommand } from '../dossiers/dossier.commands';
import { decisionContext } from '../dossiers/dossier-writer';
import { ProblemError } from '../http/problem';
import { CLOCK, type Clock } from '../infrastructure/clock';
import { parseCrtExport, type CrtRow, type RowProblem } from './crt-csv';

export interface CrtImportOutcome {
  /** Data rows in the file. */
  readonly rows: number;
  /** Dossiers this import registered or completed. */
  readonly imported: number;
  /** Rows whose dossier an earlier import of the same export already holds in full. */
  readonly alreadyImported: number;
  /** Rows that imported nothing, with their line in the file and why. */
  readonly rejected: RowProblem[];
}

export interface ImportRequester {
  readonly actor: string;
  readonly correlationId: string;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Imports a registration tool's CSV export through the command path: each valid row becomes a
 * registration and the facts of the stay, with the same handlers and rules as over HTTP. A row
 * is checked whole against the rules first, so a row with any problem imports nothing. Dossier
 * and command ids derive from the person (national register number, else attestation number,
 * else names, birth and registration date), so importing the same file again adds nothing and an
 * import that stopped half-way completes.
 */
@Injectable()
export class CrtImporter {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly dossiers: DossierRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async import(content: string, requester: ImportRequester): Promise<CrtImportOutcome> {
    const { records, rows, problems } = parseCrtExport(content);
    const rejected: RowProblem[] = [...problems];
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
          (await this.importRow(row, requester)) ? imported++ : alreadyImported++;
        } catch (error) {
          if (!(error instanceof DossierRuleViolation || error instanceof ProblemError)) throw error;
          // Only what the rules cannot know beforehand: the number is another dossier's.
          rejected.push({ line: row.line, reason: error.message });
        }
      }
      requester.onProgress?.(++done, total);
    }
    return { rows: total, imported, alreadyImported, rejected: rejected.sort((a, b) => a.line - b.line) };
  }

  /** The row's commands decided in memory on the rules of today: the first one broken, if any. */
  private ruleProblem(row: CrtRow): string | undefined {
    const context = decisionContext(this.clock);
    let state: DossierState = initialState;
    try {
      for (const command of [{ ...row.registration, dossierId: deterministicUuid(`crt-import/${row.key}`) }, ...row.commands]) {
        state = decide(command, state, context).reduce(evolve, state);
      }
      return undefined;
    } catch (error) {
      if (error instanceof DossierRuleViolation) return `${error.rule}: ${error.detail}`;
      throw error;
    }
  }

  /** True when it recorded something, false when the dossier was imported in full before. */
  private async importRow(row: CrtRow, requester: ImportRequester): Promise<boolean> {
    const dossierId = deterministicUuid(`crt-import/${row.key}`);
    const existing = await this.dossiers.load(dossierId);
    if (existing.version >= 1 + row.commands.length) return false;
    const context = (step: number) => ({
      actor: requester.actor,
      correlationId: requester.correlationId,
      commandId: deterministicUuid(`crt-import/${row.key}/${step}`),
    });
    await this.commandBus.execute(new RegisterDossierCommand({ ...row.registration, dossierId }, context(0)));
    for (const [index, command] of row.commands.entries()) {
      await this.commandBus.execute(new ChangeDossierCommand(dossierId, command, context(index + 1)));
    }
    return true;
  }
}
