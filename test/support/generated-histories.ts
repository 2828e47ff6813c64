import { decideInTurn, defaultMunicipalityDirectory, dossierStreamId } from '../../libs/domain/src';
import type { EventStore } from '@app/event-store';
import { deterministicUuid, todayIn } from '../../libs/platform/src';
import { fixtureMetadata } from '@app/domain/testing';
import { HistoryGenerator } from '@app/dossiers';
import { BUSINESS_TIME_ZONE } from './dossier-fixtures';

/**
 * Realistic dossier histories (the seeder's generator) appended straight to an event store, one
 * append per dossier, without the service: each command goes through the domain's decide() and
 * evolve(), so every event is one the service could have recorded (a history the rules refuse
 * part of is cut short there, as the seeder does). Personal blocks stay plain
 * (the legacy form, which readers accept), so no keys are needed. Returns the events appended.
 */
export async function appendGeneratedHistories(store: EventStore, persons: number, seed = 2022): Promise<number> {
  const today = todayIn(BUSINESS_TIME_ZONE);
  const generator = new HistoryGenerator(seed, today);
  const context = { today, municipalities: defaultMunicipalityDirectory };
  let appended = 0;
  for (let index = 1; index <= persons; index++) {
    const person = generator.person(index);
    if (!person) continue;
    const dossierId = deterministicUuid(`generated-histories/${seed}/${index}`);
    const { events } = decideInTurn([{ ...person.registration, dossierId }, ...person.commands], context);
    if (events.length === 0) continue;
    await store.append(
      dossierStreamId(dossierId),
      events.map((event, i) => ({
        id: deterministicUuid(`generated-histories/${seed}/${index}/${i}`),
        type: event.type,
        data: event.data as unknown as Record<string, unknown>,
        metadata: fixtureMetadata(event, new Date(Date.UTC(2025, 0, 1) + index * 60_000 + i * 1000).toISOString()),
      })),
      'no_stream',
    );
    appended += events.length;
  }
  return appended;
}
