import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { dossierStreamId } from '@app/domain';
import { EVENT_STORE, WrongExpectedVersionError, type EventStore, type RecordedEvent } from '@app/event-store';
import { APP_CONFIG } from '../infrastructure/app-config';
import { configuredOrGeneratedSecret, deterministicUuid, type AppConfig } from '@app/platform';
import { CLOCK, type Clock } from '../infrastructure/clock';
import { problem, type ProblemError } from '../http/problem';
import type { CommandContext } from './command-context';

export const RESERVATION_STREAM_PREFIX = 'nrn-reservation-';
export const NATIONAL_REGISTER_NUMBER_RESERVED = 'NationalRegisterNumberReserved';
/** The holder's personal data was erased: the number is free again (docs/erasure.md). */
export const NATIONAL_REGISTER_NUMBER_RELEASED = 'NationalRegisterNumberReleased';

/**
 * A registration that crashed between reserving and writing its dossier leaves a reservation
 * that points at nothing. After this long another registration may take it over; no request
 * takes that long between the two appends.
 */
const ORPHAN_GRACE_MS = 5 * 60 * 1000;

/**
 * Uniqueness of national register numbers, kept in the event store itself: one stream per
 * number, whose first append wins under the store's optimistic concurrency, so two concurrent
 * registrations of one number cannot both succeed. The stream is named by a keyed hash of the
 * number (HMAC-SHA-256 with NRN_HASH_KEY): the number never appears in a stream name, and the
 * hash cannot be reversed by trying every possible number without the key. The latest event of
 * the stream decides: a reservation holds the number, a release (erasure) frees it.
 */
export function nationalRegisterNumberTaken(holder: string): ProblemError {
  return problem(409, 'national-register-number-taken', 'Business rule violated', 'A dossier with this national register number already exists.', {
    rule: 'national-register-number-taken',
    existingDossierId: holder,
    existingDossier: `/dossiers/${holder}`,
  });
}

@Injectable()
export class NationalRegisterReservations {
  private readonly key: Uint8Array;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.key = configuredOrGeneratedSecret(config.nrnHashKey, config.dataDir, 'nrn-hash-key');
  }

  streamFor(nationalRegisterNumber: string): string {
    return RESERVATION_STREAM_PREFIX + createHmac('sha256', this.key).update(nationalRegisterNumber).digest('hex');
  }

  /** Reserves the number for this dossier, or throws a 409 that points at the dossier holding it. */
  async reserve(nationalRegisterNumber: string, dossierId: string, context: CommandContext): Promise<void> {
    const stream = this.streamFor(nationalRegisterNumber);
    for (;;) {
      const events = await this.store.readStream(stream);
      const holder = await this.holderIn(events);
      if (holder === dossierId) return;
      if (holder !== undefined) throw nationalRegisterNumberTaken(holder);
      // Someone reserved or took over concurrently: read again and decide on what they wrote.
      if (await this.appendAfter(stream, events.length, NATIONAL_REGISTER_NUMBER_RESERVED, dossierId, context, 'reservation')) return;
    }
  }

  /** The dossier holding the number now, if any; reads only (an import's dry run asks). */
  async holderOf(nationalRegisterNumber: string): Promise<string | undefined> {
    return this.holderIn(await this.store.readStream(this.streamFor(nationalRegisterNumber)));
  }

  /** Free when never reserved, released since, or reserved by a registration that crashed before its dossier. */
  private async holderIn(events: readonly RecordedEvent[]): Promise<string | undefined> {
    const latest = events.at(-1);
    const holder = latest?.type === NATIONAL_REGISTER_NUMBER_RESERVED ? (latest.data.dossierId as string) : undefined;
    return holder !== undefined && !(await this.isOrphan(holder, latest!.createdAt)) ? holder : undefined;
  }

  /**
   * Frees the number if this dossier holds it (its personal data is being erased), so the person
   * can be registered anew. Idempotent: a number already released, or since reserved by another
   * dossier, is left alone.
   */
  async release(nationalRegisterNumber: string, dossierId: string, context: CommandContext): Promise<void> {
    const stream = this.streamFor(nationalRegisterNumber);
    for (;;) {
      const events = await this.store.readStream(stream);
      const latest = events.at(-1);
      if (latest?.type !== NATIONAL_REGISTER_NUMBER_RESERVED || latest.data.dossierId !== dossierId) return;
      if (await this.appendAfter(stream, events.length, NATIONAL_REGISTER_NUMBER_RELEASED, dossierId, context, 'release')) return;
    }
  }

  /** Appends one event naming the dossier after `version`; false when another writer got there first. */
  private async appendAfter(
    stream: string,
    version: number,
    type: string,
    dossierId: string,
    context: CommandContext,
    purpose: string,
  ): Promise<boolean> {
    try {
      await this.store.append(
        stream,
        [
          {
            id: deterministicUuid(`${context.commandId}/${purpose}/${version}`),
            type,
            data: { dossierId },
            metadata: {
              schemaVersion: 1,
              recordedAt: this.clock.now().toISOString(),
              actor: context.actor,
              correlationId: context.correlationId,
              causationId: context.commandId,
            },
          },
        ],
        version === 0 ? 'no_stream' : version,
      );
      return true;
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      return false;
    }
  }

  private async isOrphan(holder: string, reservedAt: Date): Promise<boolean> {
    if (this.clock.now().getTime() - reservedAt.getTime() < ORPHAN_GRACE_MS) return false;
    const dossier = await this.store.readStream(dossierStreamId(holder), { maxCount: 1 });
    return dossier.length === 0;
  }
}
