/**
 * Polls `probe` until `accept` holds for its value and returns that value; fails after
 * `timeoutMs` naming what was awaited and the last value seen. For tests of things that happen
 * in their own time (projections, other processes): a deadline on a condition, never a sleep.
 */
export async function until<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  options: { what?: string; timeoutMs?: number; pollMs?: number } = {},
): Promise<T> {
  const { what = 'Condition', timeoutMs = 20_000, pollMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) {
      const shown = JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      throw new Error(`${what} not reached in ${timeoutMs} ms; last value: ${shown}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
