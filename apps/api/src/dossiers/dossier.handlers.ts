import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  decide,
  defaultMunicipalityDirectory,
  DossierNotFoundError,
  DossierRuleViolation,
  initialState,
  type DecisionContext,
} from '@app/domain';
import { WrongExpectedVersionError } from '@app/event-store';
import { KeyedMutex, type AppConfig } from '@app/platform';
import { problem } from '../http/problem';
import { APP_CONFIG } from '../infrastructure/app-config';
import { CLOCK, type Clock } from '../infrastructure/clock';
import type { CommandAccepted } from './command-context';
import { ChangeDossierCommand, RegisterDossierCommand } from './dossier.commands';
import { DossierRepository, type LoadedDossier } from './dossier-repository';
import { NationalRegisterReservations } from './national-register-reservations';

function decisionContext(clock: Clock): DecisionContext {
  return { today: clock.today(), municipalities: defaultMunicipalityDirectory };
}

/** The version reached by an earlier run of the same command, when the stream already holds it. */
function alreadyApplied(dossier: LoadedDossier, commandId: string): CommandAccepted | undefined {
  const own = dossier.events.filter((e) => e.metadata.causationId === commandId);
  return own.length > 0 ? { dossierId: dossier.dossierId, version: own[own.length - 1].version } : undefined;
}

const versionMoved = (dossierId: string, expected: number, actual: number) =>
  problem(412, 'version-mismatch', 'Precondition failed', `The dossier is at version ${actual}, not ${expected}; read it again.`, {
    dossierId,
    expectedVersion: expected,
    currentVersion: actual,
  });

@CommandHandler(RegisterDossierCommand)
export class RegisterDossierHandler implements ICommandHandler<RegisterDossierCommand> {
  constructor(
    private readonly dossiers: DossierRepository,
    private readonly reservations: NationalRegisterReservations,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ command, context }: RegisterDossierCommand): Promise<CommandAccepted> {
    const { dossierId } = command;
    const existing = await this.dossiers.load(dossierId);
    const retried = alreadyApplied(existing, context.commandId);
    if (retried) return retried;
    // Rules first, so a rejected registration reserves nothing either.
    const events = decide(command, existing.state, decisionContext(this.clock));
    const nationalRegisterNumber = command.person.nationalRegisterNumber;
    if (nationalRegisterNumber) await this.reservations.reserve(nationalRegisterNumber, dossierId, context);
    try {
      const version = await this.dossiers.append(existing, events, context);
      return { dossierId, version };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        throw new DossierRuleViolation('dossier-already-registered', `Dossier ${dossierId} is already registered.`);
      }
      throw error;
    }
  }
}

@CommandHandler(ChangeDossierCommand)
export class ChangeDossierHandler implements ICommandHandler<ChangeDossierCommand> {
  private readonly writers = new KeyedMutex();

  constructor(
    private readonly dossiers: DossierRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Writers to one dossier in this process take turns; a conflict with another process is
   * retried on fresh state (rules are checked again), unless the client pinned a version.
   */
  execute({ dossierId, command, context }: ChangeDossierCommand): Promise<CommandAccepted> {
    return this.writers.run(dossierId, async () => {
      for (let attempt = 0; ; attempt++) {
        const dossier = await this.dossiers.load(dossierId);
        if (dossier.version === 0) throw new DossierNotFoundError(dossierId);
        const retried = alreadyApplied(dossier, context.commandId);
        if (retried) return retried;
        const expected = context.expectedVersion;
        if (expected !== undefined && expected !== dossier.version) throw versionMoved(dossierId, expected, dossier.version);
        const events = decide(command, dossier.state, decisionContext(this.clock));
        try {
          const version = await this.dossiers.append(dossier, events, context);
          return { dossierId, version };
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError)) throw error;
          if (expected !== undefined) throw versionMoved(dossierId, expected, error.actual ?? dossier.version + 1);
          if (attempt >= this.config.commandRetries) throw error;
        }
      }
    });
  }
}
