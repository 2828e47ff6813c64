import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { dossierStreamId } from '@app/domain';
import { EVENT_STORE, WrongExpectedVersionError, type EventStore, type EventToAppend, type RecordedEvent } from '@app/event-store';
import { APP_CONFIG, CLOCK, configuredOrGeneratedSecret, deterministicUuid, type AppConfig, type Clock } from '@app/platform';
import type { CommandContext } from './command-context';
import { NationalRegisterNumberTakenError } from './errors';

export const RESERVATION_STREAM_PREFIX = 'nrn-reservation-';
export const NATIONAL_REGISTER_NUMBER_RESERVED = 'NationalRegisterNumberReserved';
/** The holder's personal data was erased: the number is free again (docs/erasure.md). */
export const NATIONAL_REGISTER_NUMBER_RELEASED = 'NationalRegisterNumberReleased';

/**
 * Uniqueness of national register numbers, kept in the event store itself: one stream per
 * number, whose first append wins under the store's optimistic concurrency, so two concurrent
 * registrations of one number cannot both succeed. The stream is named by a keyed hash of the
 * number (HMAC-SHA-256 with NRN_HASH_KEY): the number never appears in a stream name, and the
 * hash cannot be reversed by trying every possible number without the key. The latest event of
 * the stream decides: a reservation holds the number, a release (erasure) frees it.
 *
 * A reservation names the dossier its registration will write. A registration that died between
 * the reservation and its dossier (a crash) leaves a reservation naming a dossier that does not
 * exist; the next registration of the number writes that very dossier instead of its own. Both
 * append the dossier's first event expecting no stream, so exactly one of them registers the
 * number (the store decides, whatever the timing), and the other is told the number is taken by
 * that dossier. So a reservation never blocks a number for a registration that never happened,
 * and never lets two dossiers have it.
 */

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

  /**
   * Reserves the number for a registration that would write `dossierId`, and returns the dossier
   * the registration must write: `dossierId`, or the dossier a reservation left by a registration
   * that never wrote it names (the caller writes that one, expecting no stream; see above), or the
   * dossier this same command wrote in an earlier run. Throws NationalRegisterNumberTakenError naming the dossier
   * holding the number when another registration wrote it.
   */
  async reserve(nationalRegisterNumber: string, dossierId: string, context: CommandContext): Promise<string> {
    const stream = this.streamFor(nationalRegisterNumber);
    // Most numbers were never reserved: the first reservation is appended without a read, and
    // the stream is read only when it exists (one statement fewer per registration).
    if (await this.appendAfter(stream, 0, NATIONAL_REGISTER_NUMBER_RESERVED, dossierId, context, 'reservation')) return dossierId;
    for (;;) {
      const events = await this.store.readStream(stream);
      const reserved = reservedFor(events);
      if (reserved === dossierId) return dossierId;
      if (reserved !== undefined) {
        const first = await this.firstEventOf(reserved);
        if (!first || first.metadata.causationId === context.commandId) return reserved;
        throw new NationalRegisterNumberTakenError(reserved);
      }
      // Someone reserved concurrently: read again and decide on what they wrote.
      if (await this.appendAfter(stream, events.length, NATIONAL_REGISTER_NUMBER_RESERVED, dossierId, context, 'reservation')) return dossierId;
    }
  }

  /**
   * The dossier holding the number now, if any; reads only (an import's dry run asks). A
   * reservation whose dossier was never written holds nothing: the next registration takes it.
   */
  async holderOf(nationalRegisterNumber: string): Promise<string | undefined> {
    const reserved = reservedFor(await this.store.readStream(this.streamFor(nationalRegisterNumber)));
    return reserved !== undefined && (await this.firstEventOf(reserved)) ? reserved : undefined;
  }

  private async firstEventOf(dossierId: string): Promise<RecordedEvent | undefined> {
    const [first] = await this.store.readStream(dossierStreamId(dossierId), { maxCount: 1 });
    return first;
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
    type: typeof NATIONAL_REGISTER_NUMBER_RESERVED | typeof NATIONAL_REGISTER_NUMBER_RELEASED,
    dossierId: string,
    context: CommandContext,
    purpose: string,
  ): Promise<boolean> {
    try {
      await this.store.append(
        stream,
        [reservationEvent(type, dossierId, { ...context, recordedAt: this.clock.now().toISOString() }, `${purpose}/${version}`)],
        version === 0 ? 'no_stream' : version,
      );
      return true;
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      return false;
    }
  }
}

/**
 * An event of a number's reservation stream, naming the dossier. Its id derives from the command
 * and `step` (what it does, after which version), so the store recognises a retried append.
 */
export function reservationEvent(
  type: typeof NATIONAL_REGISTER_NUMBER_RESERVED | typeof NATIONAL_REGISTER_NUMBER_RELEASED,
  dossierId: string,
  recording: Pick<CommandContext, 'actor' | 'correlationId' | 'commandId'> & { readonly recordedAt: string },
  step: string,
): EventToAppend {
  return {
    id: deterministicUuid(`${recording.commandId}/${step}`),
    type,
    data: { dossierId },
    metadata: { schemaVersion: 1, recordedAt: recording.recordedAt, actor: recording.actor, correlationId: recording.correlationId, causationId: recording.commandId },
  };
}

/** The dossier the latest reservation names; undefined when never reserved, or released since. */
function reservedFor(events: readonly RecordedEvent[]): string | undefined {
  const latest = events.at(-1);
  return latest?.type === NATIONAL_REGISTER_NUMBER_RESERVED ? (latest.data.dossierId as string) : undefined;
}
