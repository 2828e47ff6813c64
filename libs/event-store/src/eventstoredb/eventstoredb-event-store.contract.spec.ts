import { esdbUrlForTests } from '@app/testing';
import { describeEventStoreContract } from '../contract/event-store.contract';
import { describeLogDeliveryContract } from '../contract/log-delivery.contract';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

/** The contract on EventStoreDB: the real server in TEST_ESDB_URL, else the run's test server. */
describeEventStoreContract(process.env.TEST_ESDB_URL ? 'EventStoreDB' : 'EventStoreDB (test server)', async () => {
  const store = EventStoreDbEventStore.fromConnectionString(esdbUrlForTests());
  return { store, dispose: () => store.close() };
});

describeLogDeliveryContract(
  process.env.TEST_ESDB_URL ? 'EventStoreDB' : 'EventStoreDB (test server)',
  async () => {
    const store = EventStoreDbEventStore.fromConnectionString(esdbUrlForTests());
    return { store, dispose: () => store.close() };
  },
  { holdsAppends: false },
);
