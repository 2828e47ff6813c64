/** Messages between the bench and the service under test (service-process.ts), over IPC. */
import type { MemorySample } from './pauses';

export type ServiceRequest =
  /** Waits until every projection has applied the log as it stands: when each was done. */
  | { readonly type: 'caught-up'; readonly timeoutMs: number }
  /** Rebuilds these projections side by side, each stopped once `budgetMs` is spent. */
  | { readonly type: 'rebuild'; readonly names: readonly string[]; readonly budgetMs: number }
  /** A CPU profile, and with `heapSamplingInterval` (bytes, V8's mean interval) a sampling heap profile too. */
  | { readonly type: 'profile-start'; readonly heapSamplingInterval?: number }
  /** Writes the CPU profile to `file` and the sampling heap profile, if one was started, to `heapFile`. */
  | { readonly type: 'profile-stop'; readonly file: string; readonly heapFile?: string }
  /** Records the service's garbage collections and event-loop delay until pauses-stop, which answers them (pauses.ts). */
  | { readonly type: 'pauses-start' }
  | { readonly type: 'pauses-stop' }
  | { readonly type: 'stop' };

export interface ServiceReply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/** Word from a child on a request still under way (the query client's figure of each kind as it is done), before its reply. */
export interface ServiceProgress {
  readonly id: number;
  readonly progress: unknown;
}

export interface CaughtUp {
  /** When the projections started (just before the application was created). */
  readonly startedAt: number;
  readonly finished: ReadonlyArray<{ readonly name: string; readonly ok: boolean; readonly at: number }>;
  /** The service's memory once all had caught up (what the scenario after the catch-up starts from). */
  readonly memory?: MemorySample;
}

export interface RebuildFigure {
  readonly name: string;
  /** Events applied to the fresh copy. */
  readonly applied: number;
  /** Until the last batch committed (or the switch, when completed). */
  readonly milliseconds: number;
  /** False when the budget ran out first: the copy was dropped and the live tables kept. */
  readonly completed: boolean;
}

/**
 * Answers the bench's requests over IPC with `handle` (a child of the bench: the service, the
 * projector, the query client), exiting once a stop is answered, and says it is ready with
 * `ready`. `handle` may tell how a request goes with `progress` before it answers.
 */
export function serveBench<Request extends { readonly type: string } = ServiceRequest>(
  handle: (request: Request, progress: (progress: unknown) => void) => Promise<unknown>,
  ready: unknown,
): void {
  process.on('message', (message: { id: number; request: Request }) => {
    const reply = (answer: ServiceReply) =>
      process.send?.(answer, () => {
        if (message.request.type === 'stop') process.exit(0);
      });
    const progress = (value: unknown) => process.send?.({ id: message.id, progress: value } satisfies ServiceProgress);
    handle(message.request, progress).then(
      (result) => reply({ id: message.id, ok: true, result }),
      (error: unknown) => reply({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  process.send?.({ id: 0, ok: true, result: ready } satisfies ServiceReply);
}
