/**
 * The EventStoreDB test server (tools/esdb-test-server, in memory) in a process of its own, so
 * that it neither shares an event loop with the load generator nor with the service. Its
 * figures are the test server's, not EventStoreDB's.
 */
import { startEsdbTestServer } from '../tools/esdb-test-server';
import type { ServiceReply } from './service-protocol';

async function main(): Promise<void> {
  const server = await startEsdbTestServer({ port: 0 });
  process.on('message', (message: { id: number; request: { type: string } }) => {
    if (message.request.type !== 'stop') return;
    void server.stop().finally(() => process.send?.({ id: message.id, ok: true, result: null } satisfies ServiceReply, () => process.exit(0)));
  });
  process.send?.({ id: 0, ok: true, result: { url: server.url } } satisfies ServiceReply);
}

main().catch((error: unknown) => {
  console.error('The EventStoreDB test server failed to start:', error);
  process.exit(1);
});
