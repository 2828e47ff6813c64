/**
 * `npm run esdb:test-server`: the EventStoreDB test server on 127.0.0.1:2113, insecure, in
 * memory, until interrupted. Then e.g. `EVENTSTORE_URL=esdb://127.0.0.1:2113?tls=false npm start`.
 * ESDB_TEST_SERVER_PORT / ESDB_TEST_SERVER_HOST override the address.
 */
import { startEsdbTestServer } from './index';

async function main(): Promise<void> {
  const server = await startEsdbTestServer({
    host: process.env.ESDB_TEST_SERVER_HOST ?? '127.0.0.1',
    port: Number(process.env.ESDB_TEST_SERVER_PORT ?? 2113),
  });
  console.log(`EventStoreDB test server (in-memory, insecure, not for production) listening on ${server.url}`);
  const shutdown = () => {
    void server.stop().finally(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
