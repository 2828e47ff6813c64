import type { EventStore } from '@app/event-store';
import { EventStoreDbEventStore } from '@app/event-store/eventstoredb';
import { startEsdbTestServer, type EsdbTestServer, type EsdbTestServerOptions } from './index';

export interface EventStoreOnTestServer {
  readonly store: EventStore;
  readonly server: EsdbTestServer;
  /** Closes the store, then stops the server. */
  dispose(): Promise<void>;
}

/** The EventStoreDB adapter on a test server of its own (a free port), for specs. */
export async function eventStoreOnTestServer(options: Omit<EsdbTestServerOptions, 'port'> = {}): Promise<EventStoreOnTestServer> {
  const server = await startEsdbTestServer({ port: 0, ...options });
  const store = EventStoreDbEventStore.fromConnectionString(server.url);
  return {
    store,
    server,
    dispose: async () => {
      await store.close();
      await server.stop();
    },
  };
}
