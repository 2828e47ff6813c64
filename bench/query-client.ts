/**
 * The query scenario's client in a process of its own (query-client-process.ts): the bench asks
 * it to time the answers and gets back the figures, each answer's stretch, path and waits, and
 * the client's own collections during them.
 */
import type { Pauses } from './pauses';
import type { QueryFigure } from './scenarios/queries';
import type { QueryKindsInput } from './scenarios/query-kinds';
import { compiledBenchEntry } from './compiled-service';
import { BenchChild } from './service';

export type QueryClientRequest =
  /** Each kind in turn (runQueries), with the WaitProbe of these processes when `probe` is given. */
  | {
      readonly type: 'queries';
      readonly baseUrl: string;
      readonly kinds: QueryKindsInput;
      readonly samples: number;
      readonly budgetMs: number;
      readonly probe?: { readonly servicePid: number; readonly postmasterPid: number };
    }
  | { readonly type: 'stop' };

/** What the client tells of each kind as soon as it is done (what the bench logs). */
export type KindDone = Pick<QueryFigure, 'name' | 'p50' | 'p99' | 'count' | 'bytes'>;

export interface QueriesTimed {
  readonly figures: QueryFigure[];
  /** The client's own collections from before the first kind to after the last (no event-loop delay sampled). */
  readonly pauses: Pauses;
}

/**
 * The client's heap set for few, short collections while it times (measured with a stand-alone
 * client against a local server, 2,436 answers of 88 KB, on the shared cores). Its old space has
 * 256 MiB from the start: each scavenge promotes 60 to 200 KiB (the answers in flight, the
 * figures growing), and from V8's small first limit that made a mark-compact every few hundred
 * answers (3 of 9 to 23 ms on a heap of 6 MiB; none with the flag). Its young generation is fixed
 * at 16 MiB a half: Node's HTTP client allocates some 21 KiB a request, so V8's default (growing
 * from 1 MiB) scavenged 19 times (36 to 40 ms in all), 12 times (20 to 32 ms) with this; more
 * young space than this saves nothing, the bodies' buffers then start the scavenges (external
 * memory pressure).
 */
export const QUERY_CLIENT_NODE_ARGS = ['--initial-old-space-size=256', '--min-semi-space-size=16', '--max-semi-space-size=16'];

export class QueryClient {
  private constructor(private readonly child: BenchChild<{ pid: number }>) {}

  /**
   * The client from the API's build in plain Node.js, as the service runs (compiledBenchEntry:
   * ts-node would add the compiler's heap to what its collections go through), or with
   * `compiled` false through ts-node (the spec, which has no build).
   */
  static async start({ compiled = true, nodeArgs = QUERY_CLIENT_NODE_ARGS }: { compiled?: boolean; nodeArgs?: readonly string[] } = {}): Promise<QueryClient> {
    const child = compiled
      ? await BenchChild.start<{ pid: number }>(compiledBenchEntry('query-client-process.ts'), process.env, nodeArgs, true)
      : await BenchChild.start<{ pid: number }>('query-client-process.ts', process.env, nodeArgs);
    return new QueryClient(child);
  }

  get pid(): number {
    return this.child.pid;
  }

  time(request: Omit<Extract<QueryClientRequest, { type: 'queries' }>, 'type'>, onKind: (done: KindDone) => void = () => undefined): Promise<QueriesTimed> {
    return this.child.request<QueriesTimed>({ type: 'queries', ...request }, (progress) => onKind(progress as KindDone));
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}
