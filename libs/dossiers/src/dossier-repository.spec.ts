import { randomBytes, randomUUID } from 'node:crypto';
import { ERASED, type DossierEvent } from '@app/domain';
import { PostgresEventStore } from '@app/event-store/postgres';
import { isEnvelope, PERSONAL_DATA_MIGRATIONS, PersonalDataProtection } from '@app/personal-data';
import { registered } from '@app/domain/testing';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import { systemClock } from '@app/platform';
import type { CommandContext } from './command-context';
import { chainLinks, DossierRepository } from './dossier-repository';
import { verifyChain } from './hash-chain';

/** The repository at the edge of the store: personal data sealed on append, opened on load. */
describe('DossierRepository and personal data', () => {
  let database: Awaited<ReturnType<typeof openReadModelDatabase>>;
  let store: PostgresEventStore;
  let repository: DossierRepository;
  const personalData = PersonalDataProtection.withMasterSecret(randomBytes(48));
  const context = (): CommandContext => ({ actor: 'alice', correlationId: randomUUID(), commandId: randomUUID() });

  beforeAll(async () => {
    database = await openReadModelDatabase(PERSONAL_DATA_MIGRATIONS);
    store = await PostgresEventStore.connect(database.url);
    repository = new DossierRepository(store, systemClock('Europe/Brussels'), personalData, database.dataSource);
  });
  afterAll(async () => {
    await store?.close();
    await database?.close();
  });

  async function recorded(): Promise<string> {
    const dossierId = randomUUID();
    const housed: DossierEvent = { type: 'PersonHoused', data: { housingType: 'collective', municipality: '11002', on: '2022-03-25' } };
    const version = await repository.append(await repository.load(dossierId), [registered(dossierId, '11002', '2022-03-24'), housed], context());
    expect(version).toBe(2);
    return dossierId;
  }

  const chainOf = (loaded: Awaited<ReturnType<DossierRepository['load']>>) => verifyChain(chainLinks(loaded.events));

  it('stores the personal block as an envelope under a key it created, chains the stored form, and loads it decrypted', async () => {
    const dossierId = await recorded();
    const [stored] = await store.readStream(`dossier-${dossierId}`);
    expect(isEnvelope(stored.data.personal)).toBe(true);
    expect(JSON.stringify(stored.data)).not.toMatch(/Olena|Kovalenko|1985-07-30|85073003328|TB-2022/);
    const [key] = await database.dataSource.query('SELECT erased_at FROM personal_data_keys WHERE dossier_id = $1', [dossierId]);
    expect(key).toEqual({ erased_at: null });

    const loaded = await repository.load(dossierId);
    expect(loaded.state).toMatchObject({ person: { givenName: 'Olena', nationalRegisterNumber: '85073003328' }, protection: { attestationNumber: 'TB-2022-0012345' } });
    expect(loaded.events[0].stored.data).toEqual(stored.data);
    expect(chainOf(loaded)).toMatchObject({ intact: true, version: 2 });
  });

  it('loads every personal field as ERASED once the key is destroyed; the chain stays intact', async () => {
    const dossierId = await recorded();
    await personalData.erase((sql, parameters) => database.dataSource.query(sql, parameters), dossierId);
    const loaded = await repository.load(dossierId);
    expect(loaded.events[0].event.data).toMatchObject({
      personal: { givenName: ERASED, familyName: ERASED, birthDate: ERASED, nationalRegisterNumber: ERASED, attestationNumber: ERASED },
      municipality: '11002',
    });
    expect(loaded.state).toMatchObject({ person: { familyName: ERASED }, housing: { type: 'collective' } });
    expect(chainOf(loaded)).toMatchObject({ intact: true, version: 2 });
  });

  it('reads a registration stored in plain (before encryption) as it is', async () => {
    const dossierId = randomUUID();
    const event = registered(dossierId, '11002', '2022-03-24');
    await store.append(`dossier-${dossierId}`, [{ id: randomUUID(), type: event.type, data: event.data as unknown as Record<string, unknown>, metadata: { schemaVersion: 1 } }], 'no_stream');
    expect((await repository.load(dossierId)).state).toMatchObject({ person: { givenName: 'Olena' } });
  });
});
