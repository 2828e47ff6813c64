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
 * The client's young generation, fixed at 64 MiB a half: it allocates some 25 KiB a request
 * (Node's HTTP client) and 17 more for the probe's readings, nearly all of it dead by the next
 * request, so a scavenge comes every ~1,500 answers instead of every few dozen (V8 starts with
 * 1 MiB and grows it only when much survives), and costs as little (what survives is the same).
 */
export const QUERY_CLIENT_NODE_ARGS = ['--min-semi-space-size=64', '--max-semi-space-size=64'];

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
