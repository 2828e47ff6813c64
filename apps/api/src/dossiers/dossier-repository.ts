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
import { EVENT_STORE, type EventStore, type ExpectedVersion, type RecordedEvent } from '@app/event-store';
import { deterministicUuid } from '@app/platform';
import { CLOCK, type Clock } from '../infrastructure/clock';
import type { CommandContext } from './command-context';

/** Metadata every dossier event carries (docs/events.md). */
export interface DossierEventMetadata {
  schemaVersion: number;
  occurredOn: string;
  recordedAt: string;
  actor: string;
  correlationId: string;
  causationId: string;
}

export interface StoredDossierEvent {
  readonly eventId: string;
  readonly version: number;
  readonly event: DossierEvent;
  readonly metadata: DossierEventMetadata;
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

  /** Event ids derive from the command id, so the store recognises a retried append. */
  async append(
    dossierId: string,
    events: readonly DossierEvent[],
    expected: ExpectedVersion,
    context: CommandContext,
  ): Promise<number> {
    const recordedAt = this.clock.now().toISOString();
    const result = await this.store.append(
      dossierStreamId(dossierId),
      events.map((event, index) => ({
        id: deterministicUuid(`${context.commandId}/${index}`),
        type: event.type,
        data: event.data as unknown as Record<string, unknown>,
        metadata: {
          schemaVersion: SCHEMA_VERSIONS[event.type],
          occurredOn: occurredOn(event),
          recordedAt,
          actor: context.actor,
          correlationId: context.correlationId,
          causationId: context.commandId,
        } satisfies DossierEventMetadata,
      })),
      expected,
    );
    return result.nextExpectedVersion;
  }
}
