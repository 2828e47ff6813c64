import { Inject, Injectable } from '@nestjs/common';
import {
  decide,
  defaultMunicipalityDirectory,
  DossierNotFoundError,
  DossierRuleViolation,
  type DecisionContext,
  type DossierCommand,
  type DossierEvent,
  type RegisterDossier,
} from '@app/domain';
import { WrongExpectedVersionError } from '@app/event-store';
import { APP_CONFIG, CLOCK, crashPoint, KeyedMutex, type AppConfig, type Clock } from '@app/platform';
import type { CommandAccepted, CommandContext } from './command-context';
import { DossierRepository, type LoadedDossier } from './dossier-repository';
import { NationalRegisterNumberTakenError, VersionMismatchError } from './errors';
import { NationalRegisterReservations } from './national-register-reservations';

export function decisionContext(clock: Clock): DecisionContext {
  return { today: clock.today(), municipalities: defaultMunicipalityDirectory };
}

/** The version reached by an earlier run of the same command, when the stream already holds it. */
export function alreadyApplied(dossier: LoadedDossier, commandId: string): CommandAccepted | undefined {
  const own = dossier.events.filter((e) => e.metadata.causationId === commandId);
  return own.length > 0 ? { dossierId: dossier.dossierId, version: own[own.length - 1].version } : undefined;
}

/** What a decision is appended to: the dossier it was decided on or, for a registration, the one its number's reservation names. */
type Decided = { readonly target: LoadedDossier; readonly events: DossierEvent[] } | { readonly accepted: CommandAccepted };

/**
 * The one cycle of every command: load the dossier, recognise a retried command by its own
 * events, hold If-Match, decide, append after the version read. Writers to one dossier in this
 * process take turns (a mutex per dossier); a conflict with another process is retried on fresh
 * state, `decide` running again, up to COMMAND_RETRIES times, unless the client pinned a version
 * with If-Match (then VersionMismatchError).
 *
 * A registration writes a dossier that does not exist yet, expecting no stream, so If-Match
 * names nothing and a conflict is not retried: another writer has the dossier, or the number.
 * Its national register number is reserved as a step between the decision and the append: the
 * rules are checked first, so a refused registration reserves nothing. Side effects of other
 * commands (an erasure's) run around `write`, never within it.
 */
@Injectable()
export class DossierWriter {
  private readonly writers = new KeyedMutex();

  constructor(
    private readonly dossiers: DossierRepository,
    private readonly reservations: NationalRegisterReservations,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `dossierId` is the dossier the command is about; a registration's own (`command.dossierId`). */
  write(dossierId: string, command: DossierCommand, context: CommandContext): Promise<CommandAccepted> {
    const registering = command.type === 'RegisterDossier';
    const expected = registering ? undefined : context.expectedVersion;
    return this.writers.run(dossierId, async () => {
      for (let attempt = 0; ; attempt++) {
        const dossier = await this.dossiers.load(dossierId);
        const retried = alreadyApplied(dossier, context.commandId);
        if (retried) return retried;
        if (!registering && dossier.version === 0) throw new DossierNotFoundError(dossierId);
        if (expected !== undefined && expected !== dossier.version) throw new VersionMismatchError(dossierId, expected, dossier.version);
        const events = decide(command, dossier.state, decisionContext(this.clock));
        // A test seam (CRASH_AT): killed here, after the rules and before anything is recorded.
        crashPoint('command:decided');
        const decided = registering ? await this.reserveNumber(command, dossier, events, context) : { target: dossier, events };
        if ('accepted' in decided) return decided.accepted;
        try {
          return { dossierId: decided.target.dossierId, version: await this.dossiers.append(decided.target, decided.events, context) };
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError)) throw error;
          if (registering) throw registrationRefused(command, decided.target.dossierId);
          if (expected !== undefined) throw new VersionMismatchError(dossierId, expected, error.actual ?? dossier.version + 1);
          if (attempt >= this.config.commandRetries) throw error;
        }
      }
    });
  }

  /**
   * A registration's step before its append. Without a national register number, nothing. With
   * one, the number is reserved, and the reservation names the dossier to write: this one; or the
   * one a registration that died half-way reserved and never wrote, written instead (expecting no
   * stream, so exactly one registration gets it); or the one this same command wrote in an
   * earlier run, answered as then.
   */
  private async reserveNumber(command: RegisterDossier, own: LoadedDossier, events: DossierEvent[], context: CommandContext): Promise<Decided> {
    const number = command.person.nationalRegisterNumber;
    if (!number) return { target: own, events };
    const dossierId = await this.reservations.reserve(number, command.dossierId, context);
    if (dossierId === command.dossierId) return { target: own, events };
    const target = await this.dossiers.load(dossierId);
    const earlier = alreadyApplied(target, context.commandId);
    if (earlier) return { accepted: earlier };
    if (target.version > 0) throw new NationalRegisterNumberTakenError(dossierId);
    return { target, events: decide({ ...command, dossierId }, target.state, decisionContext(this.clock)) };
  }
}

/** Another writer wrote the dossier a registration meant to write first: it holds the number, or (without one) the dossier is registered. */
function registrationRefused(command: RegisterDossier, dossierId: string): Error {
  return command.person.nationalRegisterNumber
    ? new NationalRegisterNumberTakenError(dossierId)
    : new DossierRuleViolation('dossier-already-registered', `Dossier ${dossierId} is already registered.`);
}
