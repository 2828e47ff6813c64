import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decide, DossierRuleViolation } from '@app/domain';
import { WrongExpectedVersionError } from '@app/event-store';
import { CLOCK, type Clock } from '../infrastructure/clock';
import type { CommandAccepted } from './command-context';
import { ChangeDossierCommand, RegisterDossierCommand } from './dossier.commands';
import { DossierRepository } from './dossier-repository';
import { alreadyApplied, decisionContext, DossierWriter } from './dossier-writer';
import { NationalRegisterReservations } from './national-register-reservations';

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
  constructor(private readonly writer: DossierWriter) {}

  execute({ dossierId, command, context }: ChangeDossierCommand): Promise<CommandAccepted> {
    return this.writer.write(dossierId, context, (dossier, decision) => decide(command, dossier.state, decision));
  }
}
