import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DossierRuleViolation } from '@app/domain';
import { CLOCK, crashPoint, type Clock } from '@app/platform';
import type { CommandAccepted } from '../command-context';
import { DossierWriter } from '../dossier-writer';
import { ErasePersonalDataCommand } from './erase-personal-data.command';
import { ErasureCompletion } from './erasure-completion';

/**
 * Crypto-shredding, recorded first (docs/erasure.md):
 * 1. load the dossier and decide (pure): it exists, its personal data is not erased yet,
 *    If-Match holds; nothing has changed yet if any of that fails;
 * 2. append PersonalDataErased (who, why, when), like any command (1 and 2 are the writer's
 *    cycle): from here the erasure happens, and every reader that follows the events (the CRT
 *    registry) shows it erased;
 * 3. release the national register number; 4. destroy the dossier's key (ErasureCompletion).
 * Steps 3 and 4 are idempotent and need only the record, so a crash after step 2 is finished by
 * sending the command again (it answers 409, as the erasure is recorded, after finishing) or by
 * the check every instance runs at start and every five minutes. A crash before step 2 leaves
 * nothing done, to be sent again. The side effects run around the writer's cycle, after it.
 */
@CommandHandler(ErasePersonalDataCommand)
export class ErasePersonalDataHandler implements ICommandHandler<ErasePersonalDataCommand> {
  constructor(
    private readonly writer: DossierWriter,
    private readonly completion: ErasureCompletion,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ dossierId, reason, context }: ErasePersonalDataCommand): Promise<CommandAccepted> {
    let accepted: CommandAccepted;
    try {
      accepted = await this.writer.write(dossierId, { type: 'ErasePersonalData', on: this.clock.today(), reason }, context);
    } catch (error) {
      // Recorded already: finish what an interrupted run left undone, and after a restore of
      // PostgreSQL older than the erasure destroy the key it brought back (docs/erasure.md).
      if (error instanceof DossierRuleViolation && error.rule === 'personal-data-already-erased') await this.completion.complete(dossierId, context);
      throw error;
    }
    crashPoint('erasure:recorded');
    await this.completion.complete(dossierId, context);
    return accepted;
  }
}
