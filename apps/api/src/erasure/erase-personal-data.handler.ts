import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { decide, DossierRuleViolation, isValidNationalRegisterNumber, type DossierEvent } from '@app/domain';
import { PERSONAL_DATA_KEYS_TABLE, PersonalDataProtection, type SqlQuery } from '@app/personal-data';
import { CLOCK, type Clock } from '../infrastructure/clock';
import type { CommandAccepted } from '../dossiers/command-context';
import { DossierWriter, versionMoved } from '../dossiers/dossier-writer';
import { NationalRegisterReservations } from '../dossiers/national-register-reservations';
import { ErasePersonalDataCommand } from './erase-personal-data.command';

/**
 * Crypto-shredding, in an order that a repeat can always finish:
 * 1. load the dossier (decrypted: its national register number is still readable) and check the
 *    rules (`personal-data-already-erased`; If-Match, while nothing has been changed yet);
 * 2. release the national register number, so the person can be registered anew;
 * 3. destroy the dossier's key: from here on every reader shows ERASED;
 * 4. append PersonalDataErased (optimistic concurrency, retried on fresh state like any command).
 * A crash after step 2 or 3 leaves a dossier that a repeat loads with the number already released
 * or already unreadable, and takes on from there. Once the key is destroyed the erasure is
 * recorded even if the dossier moved on meanwhile: If-Match guards the decision, not the record
 * of an irreversible step.
 */
@CommandHandler(ErasePersonalDataCommand)
export class ErasePersonalDataHandler implements ICommandHandler<ErasePersonalDataCommand> {
  private readonly logger = new Logger('Erasure');
  private readonly query: SqlQuery;

  constructor(
    private readonly writer: DossierWriter,
    private readonly reservations: NationalRegisterReservations,
    private readonly personalData: PersonalDataProtection,
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.query = (sql, parameters) => dataSource.query(sql, parameters);
  }

  async execute({ dossierId, reason, context }: ErasePersonalDataCommand): Promise<CommandAccepted> {
    const { expectedVersion, ...unpinned } = context;
    let changing = false;
    const accepted = await this.writer.write(dossierId, unpinned, async (dossier, decision) => {
      if (!changing && expectedVersion !== undefined && expectedVersion !== dossier.version) {
        throw versionMoved(dossierId, expectedVersion, dossier.version);
      }
      const events = await this.decideOrEnsureErased(dossierId, () =>
        decide({ type: 'ErasePersonalData', on: this.clock.today(), reason }, dossier.state, decision),
      );
      changing = true;
      const number = dossier.state.status === 'unregistered' ? null : dossier.state.person.nationalRegisterNumber;
      // Read as ERASED when an earlier run already destroyed the key (and so released the number).
      if (number && isValidNationalRegisterNumber(number)) await this.reservations.release(number, dossierId, context);
      await this.personalData.erase(this.query, dossierId);
      return events;
    });
    await this.vacuumKeys();
    return accepted;
  }

  /**
   * An erasure already recorded answers 409, and destroys the key again on the way: after a
   * restore of PostgreSQL older than the erasure the key row is back, and repeating the erasure
   * is how it goes again (docs/erasure.md, restoring a backup).
   */
  private async decideOrEnsureErased(dossierId: string, decideErasure: () => DossierEvent[]): Promise<DossierEvent[]> {
    try {
      return decideErasure();
    } catch (error) {
      if (error instanceof DossierRuleViolation && error.rule === 'personal-data-already-erased') {
        await this.personalData.erase(this.query, dossierId);
      }
      throw error;
    }
  }

  /**
   * The destroyed key's old row version stays in the table file as a dead tuple until VACUUM;
   * ask for it now rather than at autovacuum's leisure. Best effort: an open transaction elsewhere
   * may keep it a while longer (docs/erasure.md).
   */
  private async vacuumKeys(): Promise<void> {
    try {
      await this.dataSource.query(`VACUUM ${PERSONAL_DATA_KEYS_TABLE}`);
    } catch (error) {
      this.logger.warn(`VACUUM ${PERSONAL_DATA_KEYS_TABLE} failed (${error instanceof Error ? error.name : 'unknown'}); autovacuum will clear the destroyed key's old row later`);
    }
  }
}
