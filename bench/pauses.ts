import type { Server } from 'node:http';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { GCProfiler, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { AnswerWaits } from './waits';

/** A stretch of time: when it began (ms since the epoch, comparable across the bench's processes) and how long it took, in ms. */
export type Stretch = readonly [at: number, ms: number];

/** What held up the service's event loop during a stretch of work: garbage collections and the loop's delay. */
export interface Pauses {
  readonly gc: {
    readonly count: number;
    readonly totalMs: number;
    readonly maxMs: number;
    /** Collections per kind: count and longest, in ms. */
    readonly byKind: Record<string, { readonly count: number; readonly totalMs: number; readonly maxMs: number }>;
    /** Collections of at least 5 ms (a single-dossier read's whole budget). */
    readonly over5Ms: number;
    /**
     * MiB allocated on V8's heap (what the heap grew by between collections, from V8's own
     * statistics before and after each; objects that die young count as well as those kept).
     */
    readonly allocatedMiB: number;
    /** The young generation's largest size seen, MiB: how often it fills up, and a scavenge runs, depends on it. */
    readonly newSpaceMiB: number;
    /**
     * What a scavenge found alive, on average, KiB: left in the young generation, and promoted to
     * the old one (what the old space grew by). A scavenge's pause grows with what it copies.
     */
    readonly scavengeSurvivedKiB: number;
    readonly scavengePromotedKiB: number;
  };
  /** How late the event loop ran a 1 ms timer (perf_hooks.monitorEventLoopDelay), in ms. */
  readonly eventLoopDelay: { readonly p50: number; readonly p99: number; readonly max: number };
  /** What the process held at the start and at the end, MiB: resident, V8's heap (used and committed), outside it (buffers). */
  readonly memory: { readonly atStart: MemorySample; readonly atEnd: MemorySample };
  /**
   * When each collection paused the main thread, and when the HTTP server took each request and
   * finished its answer (when recorded with a server): to tell what a slow answer met (tailOf).
   */
  readonly timeline: { readonly collections: readonly Stretch[]; readonly requests: readonly Stretch[] };
}

export interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapCommitted: number;
  readonly external: number;
}

/** The process's memory now, in MiB: resident, V8's heap used and committed, buffers. */
export function memorySample(): MemorySample {
  const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
  const usage = process.memoryUsage();
  return { rss: mib(usage.rss), heapUsed: mib(usage.heapUsed), heapCommitted: mib(getHeapStatistics().total_physical_size), external: mib(usage.external + usage.arrayBuffers) };
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * A full collection of this process now. The bench collects its own garbage before it times
 * answers: loading the data set leaves its heap large and full of garbage, and the mark-compacts
 * that V8 started during the queries paused the loop that times the answers (4 of up to 126 ms
 * in 2026-12-05T19-39-08Z; bench/README.md, "The query scenario's tails"). Collected first, the
 * heap's next limit is set from what is alive, which the queries' few promotions do not reach.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Now, in ms since the epoch at the performance clock's resolution. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/**
 * Records the pauses of this process from start() to stop(), and, given the HTTP server, when
 * each request came in and its answer was finished.
 */
export class PauseRecorder {
  private collections: Array<{ kind: string; at: number; ms: number }> = [];
  private requests: Stretch[] = [];
  private observer?: PerformanceObserver;
  private gcProfiler?: GCProfiler;
  private usedAtStart = 0;
  private delay?: IntervalHistogram;
  private atStart = memorySample();
  private recording = false;

  /**
   * `loopDelay`: also sample the event loop's delay with a 1 ms timer (1,000 wake-ups a second).
   * The bench's own recorder leaves it off: only its collections are read, and on two shared
   * cores every wake-up of the process that times the answers takes a core from the service or
   * PostgreSQL.
   */
  constructor(server?: Server, private readonly loopDelay = true) {
    server?.on('request', (_request, response) => {
      if (!this.recording) return;
      const at = epochNow();
      response.once('finish', () => this.requests.push([at, epochNow() - at]));
    });
  }

  start(): void {
    this.stop();
    this.atStart = memorySample();
    this.collections = [];
    this.requests = [];
    this.recording = true;
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? -1;
        this.collections.push({ kind: GC_KINDS[kind] ?? `kind ${kind}`, at: performance.timeOrigin + entry.startTime, ms: entry.duration });
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
    this.gcProfiler = new GCProfiler();
    this.gcProfiler.start();
    this.usedAtStart = getHeapStatistics().used_heap_size;
    if (this.loopDelay) {
      this.delay = monitorEventLoopDelay({ resolution: 1 });
      this.delay.enable();
    }
  }

  stop(): Pauses {
    this.recording = false;
    this.observer?.disconnect();
    const heap = this.heapGrowth();
    this.delay?.disable();
    const byKind: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
    for (const { kind, ms } of this.collections) {
      const seen = (byKind[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
      seen.count++;
      seen.totalMs = round(seen.totalMs + ms);
      seen.maxMs = round(Math.max(seen.maxMs, ms));
    }
    const durations = this.collections.map((c) => c.ms);
    const nsToMs = (ns: number) => round(ns / 1e6);
    const pauses: Pauses = {
      gc: {
        count: durations.length,
        totalMs: round(durations.reduce((sum, ms) => sum + ms, 0)),
        maxMs: round(Math.max(0, ...durations)),
        byKind,
        over5Ms: durations.filter((ms) => ms >= 5).length,
        ...heap,
      },
      eventLoopDelay: this.delay
        ? { p50: nsToMs(this.delay.percentile(50)), p99: nsToMs(this.delay.percentile(99)), max: nsToMs(this.delay.max) }
        : { p50: 0, p99: 0, max: 0 },
      memory: { atStart: this.atStart, atEnd: memorySample() },
      timeline: { collections: this.collections.map(({ at, ms }) => [round(at, 3), round(ms, 3)] as const), requests: this.requests.map(([at, ms]) => [round(at, 3), round(ms, 3)] as const) },
    };
    this.observer = undefined;
    this.delay = undefined;
    return pauses;
  }

  /** What was allocated since start(): the heap's growth from each collection's end to the next one's start, and since the last. */
  private heapGrowth(): { allocatedMiB: number; newSpaceMiB: number; scavengeSurvivedKiB: number; scavengePromotedKiB: number } {
    const collections = this.gcProfiler?.stop()?.statistics ?? [];
    this.gcProfiler = undefined;
    let allocated = 0;
    let usedAfter = this.usedAtStart;
    let newSpace = 0;
    let [scavenges, survived, promoted] = [0, 0, 0];
    const used = (spaces: ReadonlyArray<{ spaceName: string; spaceUsedSize: number }>, name: string) => spaces.find((space) => space.spaceName === name)?.spaceUsedSize ?? 0;
    for (const { gcType, beforeGC, afterGC } of collections) {
      allocated += Math.max(0, beforeGC.heapStatistics.usedHeapSize - usedAfter);
      usedAfter = afterGC.heapStatistics.usedHeapSize;
      for (const space of [...beforeGC.heapSpaceStatistics, ...afterGC.heapSpaceStatistics]) {
        if (space.spaceName === 'new_space') newSpace = Math.max(newSpace, space.spaceSize);
      }
      if (gcType === 'Scavenge') {
        scavenges++;
        survived += used(afterGC.heapSpaceStatistics, 'new_space');
        promoted += Math.max(0, used(afterGC.heapSpaceStatistics, 'old_space') - used(beforeGC.heapSpaceStatistics, 'old_space'));
      }
    }
    allocated += Math.max(0, getHeapStatistics().used_heap_size - usedAfter);
    const mib = (bytes: number) => round(bytes / 1024 / 1024, 1);
    const kibPerScavenge = (bytes: number) => (scavenges === 0 ? 0 : Math.round(bytes / scavenges / 1024));
    return { allocatedMiB: mib(allocated), newSpaceMiB: mib(newSpace), scavengeSurvivedKiB: kibPerScavenge(survived), scavengePromotedKiB: kibPerScavenge(promoted) };
  }
}

/** What the slowest answers of a kind met, against all of its answers (tailOf). */
export interface TailFigures {
  /** Answers at or above the p99 (nearest rank): the ones the p99 is made of. */
  readonly slowest: number;
  /** Their client-side times, slowest first, ms. */
  readonly slowestMs: readonly number[];
  /** Their places among the answers (in the order they were asked), slowest first. */
  readonly slowestIndex: readonly number[];
  /** How many of them overlapped a collection of the service, and of the bench's own process. */
  readonly slowestMetServiceGc: number;
  readonly slowestMetBenchGc: number;
  /** For each, the ms of the service's collections within it. */
  readonly slowestServiceGcMs: readonly number[];
  /** The service's own time for each (request in to answer finished), ms; null when no request of the service lay within the answer. */
  readonly slowestServiceMs: ReadonlyArray<number | null>;
  /** Share of all answers of the kind that overlapped a collection of the service / of the bench. */
  readonly allMetServiceGc: number;
  readonly allMetBenchGc: number;
  /** The kind's p50 of the service's own time, ms: what an answer costs inside the service. */
  readonly serviceP50Ms: number | null;
  /** How many answers took more than twice the kind's p50. */
  readonly overTwiceP50: number;
  /** Those answers (the slowest SLOW_LISTED of them, slowest first), each with what it met. */
  readonly slow: readonly SlowAnswer[];
}

/** One answer of more than twice its kind's p50, and where its time went. */
export interface SlowAnswer {
  readonly index: number;
  readonly ms: number;
  /** The service's own time (request in to answer finished), ms. */
  readonly serviceMs: number | null;
  /** Ms of the service's / the bench's collections within the answer. */
  readonly serviceGcMs: number;
  readonly benchGcMs: number;
  /** CPU and waits for a core of the service, the bench and PostgreSQL, and the machine's stalls (with a probe). */
  readonly waits?: AnswerWaits;
}

/** At most this many slow answers per kind in the results file. */
const SLOW_LISTED = 20;

const overlapOf = ([at, ms]: Stretch, [otherAt, otherMs]: Stretch) => Math.min(at + ms, otherAt + otherMs) - Math.max(at, otherAt);
const overlaps = (stretch: Stretch, other: Stretch) => overlapOf(stretch, other) > 0;

/**
 * What the answers at or above the p99 of one kind met: a collection of the service (its main
 * thread paused), one of the bench's own process (which times the answers), and how long the
 * service itself took (its request matched by lying within the client's time; one request at a
 * time). The shares over all answers say whether the slow ones met collections more often than
 * any answer does.
 */
export function tailOf(
  answers: readonly Stretch[],
  service: Pauses['timeline'],
  benchCollections: readonly Stretch[],
  waits?: readonly AnswerWaits[],
): TailFigures {
  const rank = Math.max(1, Math.ceil(0.99 * answers.length));
  const slowestIndex = answers
    .map((_, i) => i)
    .sort((a, b) => answers[b][1] - answers[a][1])
    .slice(0, answers.length - rank + 1);
  const slowest = slowestIndex.map((i) => answers[i]);
  const meets = (answer: Stretch, collections: readonly Stretch[]) => collections.some((gc) => overlaps(answer, gc));
  // One request at a time: the service's request for an answer is the one that overlaps it most (the processes' clocks agree to a fraction of a ms).
  const serviceTime = (answer: Stretch) => {
    let best: Stretch | undefined;
    for (const request of service.requests) if (overlapOf(answer, request) > (best ? overlapOf(answer, best) : 0)) best = request;
    return best?.[1] ?? null;
  };
  const share = (collections: readonly Stretch[]) => (answers.length === 0 ? 0 : round(answers.filter((a) => meets(a, collections)).length / answers.length, 3));
  const serviceTimes = answers.map(serviceTime).filter((ms): ms is number => ms !== null).sort((a, b) => a - b);
  const gcWithin = (answer: Stretch, collections: readonly Stretch[]) => round(collections.reduce((sum, gc) => sum + Math.max(0, overlapOf(answer, gc)), 0));
  const sorted = answers.map(([, ms]) => ms).sort((a, b) => a - b);
  const p50 = sorted[Math.max(1, Math.ceil(0.5 * sorted.length)) - 1];
  const slowIndex = answers
    .map((_, i) => i)
    .filter((i) => answers[i][1] > 2 * p50)
    .sort((a, b) => answers[b][1] - answers[a][1]);
  return {
    slowest: slowest.length,
    slowestMs: slowest.map(([, ms]) => round(ms)),
    slowestIndex,
    slowestMetServiceGc: slowest.filter((a) => meets(a, service.collections)).length,
    slowestMetBenchGc: slowest.filter((a) => meets(a, benchCollections)).length,
    slowestServiceGcMs: slowest.map((a) => gcWithin(a, service.collections)),
    slowestServiceMs: slowest.map(serviceTime),
    allMetServiceGc: share(service.collections),
    allMetBenchGc: share(benchCollections),
    serviceP50Ms: serviceTimes.length === 0 ? null : serviceTimes[Math.ceil(serviceTimes.length / 2) - 1],
    overTwiceP50: slowIndex.length,
    slow: slowIndex.slice(0, SLOW_LISTED).map((i) => ({
      index: i,
      ms: round(answers[i][1]),
      serviceMs: serviceTime(answers[i]),
      serviceGcMs: gcWithin(answers[i], service.collections),
      benchGcMs: gcWithin(answers[i], benchCollections),
      ...(waits?.[i] ? { waits: waits[i] } : {}),
    })),
  };
}
