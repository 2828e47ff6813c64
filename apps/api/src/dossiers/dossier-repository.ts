import { Inject, Injectable } from '@nestjs/common';
import {
  dossierStreamId,
  fold,
  occurredOn,
  SCHEMA_VERSIONS,
  upcastDossierEvent,
  type DossierEvent,
  type DossierState,
} from '@app/domain';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@app/event-store';
import { deterministicUuid } from '@app/platform';
import { CLOCK, type Clock } from '../infrastructure/clock';
import type { CommandContext } from './command-context';
import { eventHash, GENESIS_HASH } from './hash-chain';

/** Metadata every dossier event carries (docs/events.md). */
export interface DossierEventMetadata {
  schemaVersion: number;
  occurredOn: string;
  recordedAt: string;
  actor: string;
  correlationId: string;
  causationId: string;
  /** Link of the stream's hash chain (hash-chain.ts). */
  hash: string;
}

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

export function toStoredDossierEvent(recorded: RecordedEvent): StoredDossierEvent {
  const metadata = recorded.metadata as unknown as DossierEventMetadata;
  return {
    eventId: recorded.id,
    version: recorded.version,
    event: upcastDossierEvent(recorded.type, metadata.schemaVersion, recorded.data),
    metadata,
    stored: { type: recorded.type, data: recorded.data },
  };
}

/** Loads a dossier's stream and folds it; appends the events a decision produced, with metadata. */
@Injectable()
export class DossierRepository {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async load(dossierId: string): Promise<LoadedDossier> {
    const events = (await this.store.readStream(dossierStreamId(dossierId))).map(toStoredDossierEvent);
    return {
      dossierId,
      version: events.at(-1)?.version ?? 0,
      state: fold(events.map((e) => e.event)),
      events,
    };
  }

  /**
   * Appends what a decision produced after the version that was read (optimistic concurrency),
   * each event chained to the one before it. Event ids derive from the command id, so the store
   * recognises a retried append.
   */
  async append(after: LoadedDossier, events: readonly DossierEvent[], context: CommandContext): Promise<number> {
    const recordedAt = this.clock.now().toISOString();
    let previousHash = after.events.at(-1)?.metadata.hash ?? GENESIS_HASH;
    const result = await this.store.append(
      dossierStreamId(after.dossierId),
      events.map((event, index) => {
        const data = event.data as unknown as Record<string, unknown>;
        const chained = { type: event.type, data, occurredOn: occurredOn(event), actor: context.actor };
        previousHash = eventHash(previousHash, chained);
        return {
          id: deterministicUuid(`${context.commandId}/${index}`),
          type: event.type,
          data,
          metadata: {
            schemaVersion: SCHEMA_VERSIONS[event.type],
            occurredOn: chained.occurredOn,
            recordedAt,
            actor: context.actor,
            correlationId: context.correlationId,
            causationId: context.commandId,
            hash: previousHash,
          } satisfies DossierEventMetadata,
        };
      }),
      after.version === 0 ? 'no_stream' : after.version,
    );
    return result.nextExpectedVersion;
  }
}
