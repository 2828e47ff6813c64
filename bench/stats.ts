/**
 * Small numeric helpers of the benchmark: percentiles of latency samples, rates and ratios,
 * rounded for the table and the results file.
 */

/**
 * The p-th percentile (0..100) of the samples by the nearest-rank method: the smallest sample
 * such that at least p% of the samples are at or below it. No interpolation, so every reported
 * latency is one that was measured. NaN for no samples.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** count, p50, p99, max and mean of latencies in milliseconds, rounded to 0.01 ms. */
export function summariseLatencies(samples: readonly number[]): LatencySummary {
  const mean = samples.length === 0 ? Number.NaN : samples.reduce((sum, value) => sum + value, 0) / samples.length;
  return {
    count: samples.length,
    p50: round(percentile(samples, 50), 2),
    p99: round(percentile(samples, 99), 2),
    max: round(samples.length === 0 ? Number.NaN : Math.max(...samples), 2),
    mean: round(mean, 2),
  };
}

/** Events (or requests) per second; 0 for no time. */
export function perSecond(count: number, milliseconds: number): number {
  return milliseconds > 0 ? (count * 1000) / milliseconds : 0;
}

/** measured / ceiling, or null when there is no ceiling to compare with. */
export function ratio(measured: number, ceiling: number | null | undefined): number | null {
  if (ceiling === null || ceiling === undefined || !(ceiling > 0)) return null;
  return round(measured / ceiling, 3);
}

export function round(value: number, digits = 0): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
