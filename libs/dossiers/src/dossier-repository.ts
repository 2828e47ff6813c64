import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  assertDossierEventShape,
  assertPersonalDataShape,
  decodeDossierEvent,
  dossierEventMetadata,
  dossierStreamId,
  fold,
  occurredOn,
  type DossierEvent,
  type DossierEventMetadata,
  type DossierState,
} from '@app/domain';
import { EVENT_STORE, type EventStore, type EventToAppend, type RecordedEvent, type StatementWithRead } from '@app/event-store';
import { PersonalDataProtection, type SqlQuery } from '@app/personal-data';
import { CLOCK, deterministicUuid, rowsRead, type Clock } from '@app/platform';
import type { CommandContext } from './command-context';
import { DossierUnreadableError } from './errors';
import { eventHash, GENESIS_HASH, type ChainLink } from './hash-chain';

export interface StoredDossierEvent {
  readonly eventId: string;
  readonly version: number;
  /** Upcast to the current schema. */
  readonly event: DossierEvent;
  readonly metadata: DossierEventMetadata;
  /** The type and data exactly as stored, which the hash chain covers. */
  readonly stored: { readonly type: string; readonly data: Record<string, unknown> };
}

export interface LoadedDossier {
  readonly dossierId: string;
  /** 0 when the dossier does not exist. */
  readonly version: number;
  readonly state: DossierState;
  readonly events: readonly StoredDossierEvent[];
}

/** `recorded` as stored; `readable` the same event with its personal block decrypted (or erased). */
export function toStoredDossierEvent(recorded: RecordedEvent, readable: RecordedEvent = recorded): StoredDossierEvent {
  const metadata = recorded.metadata as unknown as DossierEventMetadata;
  return {
    eventId: recorded.id,
    version: recorded.version,
    event: decodeDossierEvent(recorded, readable.data),
    metadata,
    stored: { type: recorded.type, data: recorded.data },
  };
}

/** The links of the dossier's hash chain: each event as stored, which is what the chain covers. */
export function chainLinks(events: ReadonlyArray<Pick<StoredDossierEvent, 'version' | 'stored' | 'metadata'>>): ChainLink[] {
  return events.map((e) => ({
    version: e.version,
    type: e.stored.type,
    data: e.stored.data,
    // Metadata altered into something that is not an object breaks the chain like any other change.
    occurredOn: e.metadata?.occurredOn,
    actor: e.metadata?.actor,
    hash: e.metadata?.hash,
  }));
}

/**
 * The events a decision appends, as the store takes them: ids derived from the command (the
 * store recognises a retried append), the data as stored (a registration's personal block
 * sealed), and the envelope's metadata with the stream's hash chain continued from
 * `previousHash`, the hash of the stream's last event. The repository appends these; the bench
 * loads its histories as these.
 */
export function storedDossierEvents(
  previousHash: string,
  decided: ReadonlyArray<{ readonly event: DossierEvent; readonly data: Record<string, unknown> }>,
  recording: Pick<CommandContext, 'actor' | 'correlationId' | 'commandId'> & { readonly recordedAt: string },
): EventToAppend[] {
  const { recordedAt, actor, correlationId, commandId } = recording;
  return decided.map(({ event, data }, index) => {
    const chained = { type: event.type, data, occurredOn: occurredOn(event), actor };
    previousHash = eventHash(previousHash, chained);
    return {
      id: deterministicUuid(`${commandId}/${index}`),
      type: event.type,
      data,
      metadata: dossierEventMetadata(event, { recordedAt, actor, correlationId, causationId: commandId, hash: previousHash }),
    };
  });
}

/**
 * Loads a dossier's stream and folds it; appends the events a decision produced, with metadata.
 * The personal block of a registration is stored encrypted under the dossier's key
 * (libs/personal-data, docs/erasure.md) and decrypted on load, or read as ERASED once the key
 * was destroyed; the hash chain covers what is stored.
 */
@Injectable()
export class DossierRepository {
  private readonly query: SqlQuery;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly personalData: PersonalDataProtection,
    dataSource: DataSource,
  ) {
    // pg's callback form (rowsRead): the dossier's key, read on every read where the store does
    // not read it with the stream, outlived two scavenges through pg's promise form.
    this.query = (sql, parameters) => rowsRead(dataSource, sql, parameters);
  }

  /**
   * The dossier as stored. An event that cannot be read as stored (its sealed personal block
   * fails authentication, or its data is no event of its type: altered behind the service's back)
   * stops the load with DossierUnreadableError naming the first such version, never a fault
   * without a name: nothing can be decided on a history that does not read, and an auditor's
   * verify names what changed.
   */
  async load(dossierId: string): Promise<LoadedDossier> {
    return this.folded(dossierId, await this.store.readStream(dossierStreamId(dossierId)));
  }

  /**
   * load(), with `statement` written in the same statement and transaction as the read of the
   * stream where the store allows it (`written`), one round trip for both; otherwise it is not
   * written at all, and the caller writes it itself. Nothing is written for a dossier that does
   * not exist (StatementWithRead).
   */
  async loadWith(dossierId: string, statement: StatementWithRead): Promise<{ dossier: LoadedDossier; written: boolean }> {
    const streamId = dossierStreamId(dossierId);
    if (!this.store.readStreamWith) return { dossier: await this.load(dossierId), written: false };
    // The dossier's key, unless kept, is read in the same statement: one statement fewer on a first read.
    const keyRead = this.personalData.dossierKeyRead(dossierId);
    const { events, alongside } = await this.store.readStreamWith(streamId, statement, keyRead?.query);
    return { dossier: await this.folded(dossierId, events, keyRead && { read: keyRead, rows: alongside }), written: true };
  }

  private async folded(dossierId: string, recorded: RecordedEvent[], keyReadAlongside?: Parameters<PersonalDataProtection['revealDossier']>[3]): Promise<LoadedDossier> {
    const unreadable = new Set<number>();
    const readable = new Map(
      (await this.personalData.revealDossier(recorded, this.query, (event) => unreadable.add(event.version), keyReadAlongside)).map((event) => [
        event.version,
        event,
      ]),
    );
    let state = fold([]);
    const events = recorded.map((event) => {
      if (unreadable.has(event.version)) throw new DossierUnreadableError(dossierId, event.version);
      try {
        const stored = toStoredDossierEvent(event, readable.get(event.version));
        // The same shape the projections check (read-models' readDossierEvent), and the personal
        // block once opened: evolve would otherwise fold a malformed event into a wrong state.
        assertDossierEventShape(stored.event);
        if (stored.event.type === 'DossierRegistered') assertPersonalDataShape(stored.event.data.personal);
        state = fold([stored.event], state);
        return stored;
      } catch {
        throw new DossierUnreadableError(dossierId, event.version);
      }
    });
    return { dossierId, version: events.at(-1)?.version ?? 0, state, events };
  }

  /**
   * The links of the dossier's hash chain, read as stored and nothing more: no decryption, no
   * upcasting, so an event altered in the store (its sealed personal block included) reads as a
   * broken link where loading it would fail. Empty when the dossier does not exist.
   */
  async storedChain(dossierId: string): Promise<ChainLink[]> {
    const recorded = await this.store.readStream(dossierStreamId(dossierId));
    return chainLinks(
      recorded.map((event) => ({
        version: event.version,
        stored: { type: event.type, data: event.data },
        metadata: event.metadata as unknown as DossierEventMetadata,
      })),
    );
  }

  /**
   * Appends what a decision produced after the version that was read (optimistic concurrency),
   * each event chained to the one before it. Event ids derive from the command id, so the store
   * recognises a retried append. The command's kept answer (context.answerKeptWithAppend) is
   * written with the append where the store allows it, and told so.
   */
  async append(after: LoadedDossier, events: readonly DossierEvent[], context: CommandContext): Promise<number> {
    const decided = await Promise.all(events.map(async (event) => ({ event, data: await this.storedData(after.dossierId, event) })));
    const streamId = dossierStreamId(after.dossierId);
    const stored = storedDossierEvents(after.events.at(-1)?.metadata.hash ?? GENESIS_HASH, decided, { ...context, recordedAt: this.clock.now().toISOString() });
    const expected = after.version === 0 ? 'no_stream' : after.version;
    const kept = context.answerKeptWithAppend;
    if (!kept || !this.store.appendWith) return (await this.store.append(streamId, stored, expected)).nextExpectedVersion;
    const { nextExpectedVersion: version } = await this.store.appendWith(streamId, stored, expected, kept.statementFor(after.dossierId));
    kept.written({ dossierId: after.dossierId, version });
    return version;
  }

  /** The data as it is stored and chained: a registration's personal block sealed under the dossier's key (created here). */
  private async storedData(dossierId: string, event: DossierEvent): Promise<Record<string, unknown>> {
    if (event.type !== 'DossierRegistered') return event.data as unknown as Record<string, unknown>;
    return { ...event.data, personal: await this.personalData.protect(this.query, dossierId, event.data.personal) };
  }
}
