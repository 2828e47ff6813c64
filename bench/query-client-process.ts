/**
 * The query scenario's client, in a process of its own that holds nothing but the requests it
 * sends and the times it takes: the bench's own process holds the data set it loaded (a million
 * dossiers in the scale mode), and its collections paused the loop that timed the answers (up
 * to 173 ms at 1,000,000 dossiers, bench/README.md, "The queries timed from a process of their
 * own"). It builds the kinds' paths itself (scenarios/query-kinds.ts), times them (runQueries),
 * records what it waited for (WaitProbe) and its own collections, and answers them over IPC.
 */
import { collectGarbage, PauseRecorder } from './pauses';
import type { KindDone, QueryClientRequest } from './query-client';
import { runQueries } from './scenarios/queries';
import { queryKinds } from './scenarios/query-kinds';
import { serveBench } from './service-protocol';
import { WaitProbe } from './waits';

serveBench<QueryClientRequest>(async (request, progress) => {
  switch (request.type) {
    case 'queries': {
      const kinds = queryKinds(request.kinds);
      const probe = request.probe ? new WaitProbe(request.probe.servicePid, request.probe.postmasterPid) : undefined;
      // What building the kinds left, collected before the first answer is timed.
      collectGarbage();
      const pauses = new PauseRecorder(undefined, false);
      pauses.start();
      const figures = await runQueries(
        request.baseUrl,
        kinds,
        request.samples,
        request.budgetMs,
        ({ name, p50, p99, count, bytes }) => progress({ name, p50, p99, count, bytes } satisfies KindDone),
        probe,
      );
      probe?.close();
      // The last collections reach the observer a turn of the event loop later.
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { figures, pauses: pauses.stop() };
    }
    case 'stop':
      return null;
  }
}, { pid: process.pid });
