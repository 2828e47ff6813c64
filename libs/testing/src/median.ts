/**
 * The median of a list as the funnel reports it (docs/statistics.md, "Funnel"): the middle value
 * of the sorted list, the mean of the two middle ones for an even count, null for none. Stated
 * naively, once, for the property suite's recomputation and the specs that hold the service's
 * median of kept counts equal to it.
 */
export function medianOf(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
