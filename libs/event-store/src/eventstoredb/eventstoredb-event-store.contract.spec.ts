import { describeEventStoreContract } from '../contract/event-store.contract';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

const url = process.env.TEST_ESDB_URL;

if (url) {
  describeEventStoreContract('EventStoreDB', async () => {
    const store = EventStoreDbEventStore.fromConnectionString(url);
    return { store, dispose: () => store.close() };
  });
} else {
  // Reason: no EventStoreDB is reachable in this run. Set TEST_ESDB_URL (README: "Against a real
  // EventStoreDB") to run the same contract against one; the PostgreSQL run always executes it.
  describe('EventStore contract: EventStoreDB', () => {
    it.todo('runs when TEST_ESDB_URL points at an EventStoreDB server');
  });
}
