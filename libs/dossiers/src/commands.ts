import { Command } from '@nestjs/cqrs';
import type { DossierCommand, RegisterDossier } from '@app/domain';
import type { CommandAccepted, CommandContext } from './command-context';

export class RegisterDossierCommand extends Command<CommandAccepted> {
  constructor(
    readonly command: RegisterDossier,
    readonly context: CommandContext,
  ) {
    super();
  }
}

/** Any command on an existing dossier: they share one load–decide–append cycle. */
export class ChangeDossierCommand extends Command<CommandAccepted> {
  constructor(
    readonly dossierId: string,
    readonly command: Exclude<DossierCommand, RegisterDossier>,
    readonly context: CommandContext,
  ) {
    super();
  }
}
