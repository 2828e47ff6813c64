import { constants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

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
  };
  /** How late the event loop ran a 1 ms timer (perf_hooks.monitorEventLoopDelay), in ms. */
  readonly eventLoopDelay: { readonly p50: number; readonly p99: number; readonly max: number };
  /** What the process held at the start and at the end, MiB: resident, V8's heap (used and committed), outside it (buffers). */
  readonly memory: { readonly atStart: MemorySample; readonly atEnd: MemorySample };
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

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Records the pauses of this process from start() to stop(). */
export class PauseRecorder {
  private collections: Array<{ kind: string; ms: number }> = [];
  private observer?: PerformanceObserver;
  private delay?: IntervalHistogram;
  private atStart = memorySample();

  start(): void {
    this.stop();
    this.atStart = memorySample();
    this.collections = [];
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? -1;
        this.collections.push({ kind: GC_KINDS[kind] ?? `kind ${kind}`, ms: entry.duration });
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
    this.delay = monitorEventLoopDelay({ resolution: 1 });
    this.delay.enable();
  }

  stop(): Pauses {
    this.observer?.disconnect();
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
      },
      eventLoopDelay: this.delay
        ? { p50: nsToMs(this.delay.percentile(50)), p99: nsToMs(this.delay.percentile(99)), max: nsToMs(this.delay.max) }
        : { p50: 0, p99: 0, max: 0 },
      memory: { atStart: this.atStart, atEnd: memorySample() },
    };
    this.observer = undefined;
    this.delay = undefined;
    return pauses;
  }
}
