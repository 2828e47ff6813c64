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
 * The client's old generation given room from the start: it allocates some 33 KiB a request
 * (Node's HTTP client and the probe's readings), and each scavenge promotes 100 to 200 KiB (the
 * answers in flight, the figures growing); V8 starts with a small old-space limit, so that made
 * a mark-compact every few hundred answers (15 to 23 ms each on the shared cores, a heap of 6
 * MiB), and none with the limit at 256 MiB (a stand-alone client against a local server, 2,436
 * answers of 88 KB).
 */
export const QUERY_CLIENT_NODE_ARGS = ['--initial-old-space-size=256'];

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
