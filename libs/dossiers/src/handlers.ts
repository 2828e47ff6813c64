import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decide, DossierRuleViolation, type DossierEvent } from '@app/domain';
import { WrongExpectedVersionError } from '@app/event-store';
import { CLOCK, type Clock } from '@app/platform';
import type { CommandAccepted, CommandContext } from './command-context';
import { ChangeDossierCommand, RegisterDossierCommand } from './commands';
import { DossierRepository, type LoadedDossier } from './dossier-repository';
import { alreadyApplied, decisionContext, DossierWriter } from './dossier-writer';
import { NationalRegisterNumberTakenError } from './errors';
import { NationalRegisterReservations } from './national-register-reservations';

@CommandHandler(RegisterDossierCommand)
export class RegisterDossierHandler implements ICommandHandler<RegisterDossierCommand> {
  constructor(
    private readonly dossiers: DossierRepository,
    private readonly reservations: NationalRegisterReservations,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ command, context }: RegisterDossierCommand): Promise<CommandAccepted> {
    const own = await this.dossiers.load(command.dossierId);
    const retried = alreadyApplied(own, context.commandId);
    if (retried) return retried;
    // Rules first, so a rejected registration reserves nothing either.
    let events = decide(command, own.state, decisionContext(this.clock));
    const nationalRegisterNumber = command.person.nationalRegisterNumber;
    if (!nationalRegisterNumber) {
      return this.append(own, events, context, () => new DossierRuleViolation('dossier-already-registered', `Dossier ${own.dossierId} is already registered.`));
    }
    // The dossier the reservation names: this one, or one a registration that died half-way reserved and never wrote.
    const dossierId = await this.reservations.reserve(nationalRegisterNumber, command.dossierId, context);
    let target = own;
    if (dossierId !== command.dossierId) {
      target = await this.dossiers.load(dossierId);
      const earlier = alreadyApplied(target, context.commandId);
      if (earlier) return earlier;
      if (target.version > 0) throw new NationalRegisterNumberTakenError(dossierId);
      events = decide({ ...command, dossierId }, target.state, decisionContext(this.clock));
    }
    // Whoever else writes this dossier first (a registration of the same number) holds the number.
    return this.append(target, events, context, () => new NationalRegisterNumberTakenError(dossierId));
  }

  /** Appends the registration, expecting no stream; `taken` says why when another writer was first. */
  private async append(target: LoadedDossier, events: DossierEvent[], context: CommandContext, taken: () => Error): Promise<CommandAccepted> {
    try {
      return { dossierId: target.dossierId, version: await this.dossiers.append(target, events, context) };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) throw taken();
      throw error;
    }
  }
}

@CommandHandler(ChangeDossierCommand)
export class ChangeDossierHandler implements ICommandHandler<ChangeDossierCommand> {
  constructor(private readonly writer: DossierWriter) {}

  execute({ dossierId, command, context }: ChangeDossierCommand): Promise<CommandAccepted> {
    return this.writer.write(dossierId, context, (dossier, decision) => decide(command, dossier.state, decision));
  }
}
