import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@app/event-store/postgres';
import { createDataSource } from '@app/persistence';
import { createTestDatabase } from '@app/testing';
import type { DataSource } from 'typeorm';
import { IdempotencyStore, keptCommandAnswer } from './idempotency.store';

/**
 * A command's kept answer is stated twice: as SQL written with the append on PostgreSQL
 * (commandAnswerWithAppend) and in TypeScript (keptCommandAnswer, what the EventStoreDB path
 * completes the key with). A retry must get the same answer on either store, so this holds the
 * two equal, through the real append.
 */
describe('IdempotencyStore: the kept answer of a command', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let events: PostgresEventStore;
  let store: IdempotencyStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource(database.url);
    await dataSource.initialize();
    await dataSource.runMigrations();
    events = await PostgresEventStore.connect(database.url);
    store = new IdempotencyStore(dataSource);
  });
  afterAll(async () => {
    await events?.close();
    await dataSource?.destroy();
    await database?.drop();
  });

  const event = () => ({ id: randomUUID(), type: 'Noted', data: { at: 1 }, metadata: {} });

  it.each([
    ['a registration (with its Location)', '/dossiers/ea5c7d3e-7a7d-4b8e-9a1f-2c4f1d9b8e01', 1],
    ['a later command (no Location)', undefined, 3],
  ])('for %s, the answer written with the append is the one keptCommandAnswer states', async (_, location, appended) => {
    const dossierId = randomUUID();
    const key = randomUUID();
    expect(await store.claim('staff-1', key, 'fingerprint')).toEqual({ kind: 'claimed' });
    for (let version = 1; version < appended; version++) await events.append(`dossier-${dossierId}`, [event()], version - 1);
    const result = await events.appendWith(`dossier-${dossierId}`, [event()], appended - 1, store.commandAnswerWithAppend('staff-1', key, dossierId, location));
    expect(result.nextExpectedVersion).toBe(appended);
    const { kind, ...kept } = (await store.claim('staff-1', key, 'fingerprint')) as { kind: string };
    expect(kind).toBe('completed');
    expect(kept).toEqual(keptCommandAnswer(dossierId, appended, location));
  });

  it('leaves the key claimed when the append is refused (a wrong expected version)', async () => {
    const dossierId = randomUUID();
    const key = randomUUID();
    await store.claim('staff-1', key, 'fingerprint');
    await events.append(`dossier-${dossierId}`, [event()], 0);
    await expect(events.appendWith(`dossier-${dossierId}`, [event()], 0, store.commandAnswerWithAppend('staff-1', key, dossierId, undefined))).rejects.toThrow();
    expect(await store.claim('staff-1', key, 'fingerprint')).toEqual({ kind: 'in-progress' });
  });
});
