import { Command } from '@nestjs/cqrs';
import type { CommandAccepted, CommandContext } from '../command-context';

/**
 * Erase a dossier's personal data (docs/erasure.md): record PersonalDataErased dated today, then
 * release its national register number and destroy its key. Admins send it over HTTP
 * (POST /dossiers/{id}/erasure); the archive's retention purge sends it through the CommandBus.
 * Resumable: sent again after a failure half-way, it finishes the job (and answers 409, as the
 * erasure is recorded); every instance also finishes interrupted erasures by itself.
 */
export class ErasePersonalDataCommand extends Command<CommandAccepted> {
  constructor(
    readonly dossierId: string,
    /** Why; kept in the event, in plain: it must not identify the person. 1..500 characters. */
    readonly reason: string,
    readonly context: CommandContext,
  ) {
    super();
  }
}
