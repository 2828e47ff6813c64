import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DossierRuleViolation, isValidNationalRegisterNumber } from '@app/domain';
import { PERSONAL_DATA_KEYS_TABLE, PersonalDataProtection, type SqlQuery } from '@app/personal-data';
import type { CommandContext } from '../command-context';
import { DossierRepository } from '../dossier-repository';
import { DossierWriter } from '../dossier-writer';
import { NationalRegisterReservations } from '../national-register-reservations';
import { APP_CONFIG, crashPoint, deterministicUuid, errorKind, todayIn, type AppConfig } from '@app/platform';
import { ArchiveReader, DOSSIER_ARCHIVE, ProjectionEngineHost } from '@app/read-models';

const EVERY_MS = 5 * 60 * 1000;
/** Who finishes an erasure that a crash interrupted, in the events and reservations it writes. */
export const ERASURE_COMPLETION_ACTOR = 'system:erasure-completion';
/** The reason of a PersonalDataErased recorded for a key an earlier version destroyed without recording it. */
export const UNRECORDED_ERASURE_REASON =
  'Records an erasure whose key was destroyed but whose event was never written (interrupted before this service recorded erasures first)';

/**
 * The steps of an erasure after its record (docs/erasure.md), and the check that finishes those
 * a crash interrupted. PersonalDataErased is appended first, by the handler; then the national
 * register number is released and the dossier's key destroyed, each step idempotent, so that
 * running them again after a crash at any point finishes the erasure:
 * - the erasure command, sent again, finishes them before answering (409 once recorded);
 * - at start (once the dossier-archive projection has caught up) and every five minutes, every
 *   API instance looks for dossiers the archive index shows erased whose key is not destroyed,
 *   and finishes them. It also records PersonalDataErased for a key an earlier version destroyed
 *   without recording the event (it destroyed the key first).
 */
@Injectable()
export class ErasureCompletion implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Erasure');
  private readonly query: SqlQuery;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopping = false;

  constructor(
    private readonly dossiers: DossierRepository,
    private readonly writer: DossierWriter,
    private readonly reservations: NationalRegisterReservations,
    private readonly personalData: PersonalDataProtection,
    private readonly dataSource: DataSource,
    private readonly projections: ProjectionEngineHost,
    private readonly archive: ArchiveReader,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.query = (sql, parameters) => dataSource.query(sql, parameters);
  }

  onApplicationBootstrap(): void {
    const run = (first: boolean) => {
      this.running ??= (first ? this.afterCatchUp() : Promise.resolve(true))
        .then((caughtUp) => (caughtUp ? this.finishInterrupted() : 0))
        // The next round tries again.
        .catch((error: unknown) => this.logger.warn(`Looking for interrupted erasures failed (${errorKind(error)})`))
        .finally(() => (this.running = undefined));
    };
    run(true);
    this.timer = setInterval(() => run(false), EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * Releases the dossier's national register number and destroys its key, if its erasure is
   * recorded; safe to repeat. Returns whether the erasure is recorded.
   */
  async complete(dossierId: string, context: CommandContext): Promise<boolean> {
    const dossier = await this.dossiers.load(dossierId);
    if (dossier.state.status === 'unregistered' || !dossier.state.personalDataErased) return false;
    const registration = dossier.events.find((stored) => stored.event.type === 'DossierRegistered')?.event;
    const number = registration?.type === 'DossierRegistered' ? registration.data.personal.nationalRegisterNumber : null;
    // Readable until the key is destroyed, which comes after the release: ERASED means released already.
    if (number && isValidNationalRegisterNumber(number)) await this.reservations.release(number, dossierId, context);
    crashPoint('erasure:number-released');
    await this.personalData.erase(this.query, dossierId);
    crashPoint('erasure:key-destroyed');
    await this.vacuumKeys();
    return true;
  }

  /**
   * Finishes every erasure the archive index shows recorded whose key is not destroyed yet, and
   * records the erasure of every key destroyed without its event. Returns how many it handled.
   */
  async finishInterrupted(): Promise<number> {
    const { unfinished, unrecorded } = await this.archive.interruptedErasures();
    let handled = 0;
    for (const dossierId of unfinished) {
      if (this.stopping) break;
      if (await this.attempt(dossierId, () => this.complete(dossierId, this.context()))) handled++;
    }
    for (const { dossierId, erasedAt } of unrecorded) {
      if (this.stopping) break;
      if (await this.attempt(dossierId, () => this.record(dossierId, erasedAt))) handled++;
    }
    if (handled > 0) this.logger.log(`Finished ${handled} interrupted erasure(s)`);
    return handled;
  }

  /** PersonalDataErased for a key destroyed without its event; nothing when the event is there after all. */
  private async record(dossierId: string, erasedAt: Date): Promise<boolean> {
    // One command id per dossier, so that two instances doing this at once record it once.
    const context = { ...this.context(), commandId: deterministicUuid(`erasure-record/${dossierId}`) };
    try {
      await this.writer.write(dossierId, { type: 'ErasePersonalData', on: todayIn(this.config.timeZone, erasedAt), reason: UNRECORDED_ERASURE_REASON }, context);
    } catch (error) {
      if (error instanceof DossierRuleViolation && error.rule === 'personal-data-already-erased') return false;
      throw error;
    }
    return this.complete(dossierId, context);
  }

  private async attempt(dossierId: string, work: () => Promise<boolean>): Promise<boolean> {
    try {
      return await work();
    } catch (error) {
      this.logger.warn(`Could not finish the erasure of dossier ${dossierId} (${errorKind(error)}); trying again later`);
      return false;
    }
  }

  /** Waits (as long as it takes, until shutdown) for the archive index to have what the store held at start. */
  private async afterCatchUp(): Promise<boolean> {
    while (!this.stopping) {
      if (await this.projections.engine.waitUntilCaughtUp(DOSSIER_ARCHIVE, 1000)) return true;
    }
    return false;
  }

  private context(): CommandContext {
    return { actor: ERASURE_COMPLETION_ACTOR, correlationId: randomUUID(), commandId: randomUUID() };
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
      this.logger.warn(`VACUUM ${PERSONAL_DATA_KEYS_TABLE} failed (${errorKind(error)}); autovacuum will clear the destroyed key's old row later`);
    }
  }
}
