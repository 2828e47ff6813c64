import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CommandAccepted } from './command-context';
import { ChangeDossierCommand, RegisterDossierCommand } from './commands';
import { DossierWriter } from './dossier-writer';

/** Every command goes through the writer's one cycle (dossier-writer.ts); registration expects no stream. */

@CommandHandler(RegisterDossierCommand)
export class RegisterDossierHandler implements ICommandHandler<RegisterDossierCommand> {
  constructor(private readonly writer: DossierWriter) {}

  execute({ command, context }: RegisterDossierCommand): Promise<CommandAccepted> {
    return this.writer.write(command.dossierId, command, context);
  }
}

@CommandHandler(ChangeDossierCommand)
export class ChangeDossierHandler implements ICommandHandler<ChangeDossierCommand> {
  constructor(private readonly writer: DossierWriter) {}

  execute({ dossierId, command, context }: ChangeDossierCommand): Promise<CommandAccepted> {
    return this.writer.write(dossierId, command, context);
  }
}
