import { Agent, request } from 'node:http';
import { epochNow, type Stretch } from '../pauses';
import { summariseLatencies, type LatencySummary } from '../stats';
import { WaitProbe, type AnswerWaits } from '../waits';

const WARM_UP = 3;
const MIN_SAMPLES = 5;

/** How many requests of each kind `runQueries` may send with `samples`: the warm-up's come after the timed ones' (the i-th request asks `path(i)`). */
export const requestsPerKind = (samples: number): number => samples + WARM_UP;

export type QueryClass = 'statistics' | 'list' | 'single-dossier';

export interface QueryKind {
  readonly name: string;
  readonly class: QueryClass;
  readonly token: string;
  /** The i-th request's path and query string (parameters vary, as a real workload's do). */
  path(i: number): string;
  readonly headers?: Record<string, string>;
}

export interface QueryFigure extends LatencySummary {
  readonly name: string;
  readonly class: QueryClass;
  /** Bytes of the last answer, to show what was read. */
  readonly bytes: number;
  readonly example: string;
  /** When each timed answer was asked (ms since the epoch) and how long it took: what pauses.ts's tailOf compares with the collections. */
  readonly answers: readonly Stretch[];
  /** What each timed answer asked, in the same order. */
  readonly paths: readonly string[];
  /** What the processes did and waited for during each timed answer, in the same order (with a probe). */
  readonly waits?: readonly AnswerWaits[];
}

export interface HttpAnswer {
  readonly status: number;
  /** Bytes of the body. */
  readonly bytes: number;
  /** The body, kept only for an answer other than 200 (to say what went wrong). */
  readonly body: string;
  readonly milliseconds: number;
  /** When it was sent, in ms since the epoch (epochNow). */
  readonly at: number;
}

/**
 * One GET over a kept-alive connection, timed from sending to the last byte of the answer. A 200's
 * body is counted, not kept: joining and decoding it (90 KB for a flows answer, twice) made the
 * bench's own collections, which pause the loop that times the next answers (bench/README.md,
 * "The query scenario's tails").
 */
export function timedGet(agent: Agent, baseUrl: string, path: string, headers: Record<string, string>): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const at = epochNow();
    const started = performance.now();
    const req = request(new URL(path, baseUrl), { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      const keep = res.statusCode !== 200;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (keep) chunks.push(chunk);
      });
      res.on('end', () => {
        // The time first: before, the body was joined and decoded inside the timed stretch.
        const milliseconds = performance.now() - started;
        resolve({ status: res.statusCode ?? 0, bytes, body: Buffer.concat(chunks).toString('utf8'), milliseconds, at });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Each kind of query in turn, one request at a time (latency, not throughput): a few warm-up
 * requests, then `samples` timed ones or as many as fit in `budgetMs` (at least MIN_SAMPLES, so
 * a slow query is still measured; its p99 is then nearly its maximum). Any answer but 200 stops
 * the bench: a latency of an error is no figure.
 */
export async function runQueries(
  baseUrl: string,
  kinds: readonly QueryKind[],
  samples: number,
  budgetMs: number,
  onFigure: (figure: QueryFigure) => void = () => undefined,
  probe?: WaitProbe,
): Promise<QueryFigure[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const figures: QueryFigure[] = [];
  try {
    for (const kind of kinds) {
      const headers = { authorization: `Bearer ${kind.token}`, accept: 'application/json', ...kind.headers };
      // Every path asked before the first answer is timed: nothing of them is built between answers.
      const asked = Array.from({ length: requestsPerKind(samples) }, (_, i) => kind.path(i));
      const get = async (path: string) => {
        const answer = await timedGet(agent, baseUrl, path, headers);
        if (answer.status !== 200) throw new Error(`${kind.name}: GET ${path} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
        return answer;
      };
      for (let i = 0; i < WARM_UP; i++) await get(asked[samples + i]);
      const latencies: number[] = [];
      const answers: Stretch[] = [];
      const waits: AnswerWaits[] = [];
      probe?.list();
      let last: HttpAnswer | undefined;
      const deadline = performance.now() + budgetMs;
      for (let i = 0; i < samples && (i < MIN_SAMPLES || performance.now() < deadline); i++) {
        const before = probe?.read();
        last = await get(asked[i]);
        if (probe && before) waits.push(WaitProbe.between(before, probe.read()));
        latencies.push(last.milliseconds);
        answers.push([last.at, last.milliseconds]);
      }
      figures.push({
        name: kind.name,
        class: kind.class,
        ...summariseLatencies(latencies),
        bytes: last?.bytes ?? 0,
        example: asked[0],
        answers,
        paths: asked.slice(0, answers.length),
        ...(probe ? { waits } : {}),
      });
      onFigure(figures[figures.length - 1]);
    }
  } finally {
    agent.destroy();
  }
  return figures;
}
