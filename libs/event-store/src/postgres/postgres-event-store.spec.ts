import { createTestDatabase } from '@app/testing';
import { describeEventStoreContract } from '../contract/event-store.contract';
import { EventStoreUnavailableError } from '../event-store.port';
import { PostgresEventStore } from './postgres-event-store';

describeEventStoreContract('PostgreSQL', async () => {
  const database = await createTestDatabase();
  const store = await PostgresEventStore.connect(database.url);
  return {
    store,
    dispose: async () => {
      await store.close();
      await database.drop();
    },
  };
});

describe('PostgreSQL event store specifics', () => {
  it('migrates an existing schema again without harm (several processes start together)', async () => {
    const database = await createTestDatabase();
    try {
      const stores = await Promise.all([1, 2, 3].map(() => PostgresEventStore.connect(database.url)));
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await database.drop();
    }
  });

  it('reports an unreachable server as unavailable', async () => {
    await expect(PostgresEventStore.connect('postgres://postgres:postgres@127.0.0.1:1/none')).rejects.toBeInstanceOf(
      EventStoreUnavailableError,
    );
  });
});
