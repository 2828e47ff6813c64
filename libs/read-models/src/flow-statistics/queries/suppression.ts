/**
 * A published number. Cells counting fewer persons than the threshold (but more than none) are
 * suppressed: value null, suppressed true. A zero is shown: it reveals nobody.
 */
export interface Cell {
  value: number | null;
  suppressed: boolean;
}

/**
 * An answer, and the same answer with nothing suppressed (computed from the same rows only when
 * asked): its numbers, for secondary suppression across the groups of a table (tables.ts).
 */
export interface Suppressed<V> {
  view: V;
  unsuppressed: () => V;
}

/** What a cell counts: `value` events (or dossiers) of `persons` distinct persons. */
export interface Count {
  value: number;
  persons: number;
}

const HIDDEN: Cell = { value: null, suppressed: true };
const isSmall = (count: Count, threshold: number) => count.persons > 0 && count.persons < threshold;

/** Primary suppression of one number: `value` events of `persons` distinct persons (equal for stocks). */
export function cell(value: number, persons: number, suppressBelow: number): Cell {
  return isSmall({ value, persons }, suppressBelow) ? HIDDEN : { value, suppressed: false };
}

/**
 * A total and the parts it splits into (stages, housing types, reasons). Small parts are
 * suppressed; and as long as the total is shown, so that the suppressed parts' sum can be worked
 * out from it, more parts are suppressed (the smallest first) until that sum counts at least
 * `suppressBelow` persons; failing that, the total is suppressed too. Zeros stay shown.
 */
export function breakdown<K extends string>(
  total: Count,
  parts: Record<K, Count>,
  suppressBelow: number,
): { total: Cell; parts: Record<K, Cell> } {
  const keys = Object.keys(parts) as K[];
  const hidden = new Set(keys.filter((key) => isSmall(parts[key], suppressBelow)));
  let totalHidden = isSmall(total, suppressBelow);
  const hiddenPersons = () => [...hidden].reduce((sum, key) => sum + parts[key].persons, 0);
  while (!totalHidden && hidden.size > 0 && hiddenPersons() < suppressBelow) {
    const next = keys
      .filter((key) => !hidden.has(key) && parts[key].persons > 0)
      .sort((a, b) => parts[a].persons - parts[b].persons)[0];
    if (next === undefined) totalHidden = true;
    else hidden.add(next);
  }
  return {
    total: totalHidden ? HIDDEN : { value: total.value, suppressed: false },
    parts: Object.fromEntries(keys.map((key) => [key, hidden.has(key) ? HIDDEN : { value: parts[key].value, suppressed: false }])) as Record<K, Cell>,
  };
}

/** One line of a table (a row or a column, margins included): a total and the parts that add up to it, by cell name. */
export interface Line {
  total: string;
  parts: readonly string[];
}

/**
 * Secondary (complementary) suppression within a table whose lines share cells (a total, its parts
 * and their splits). A line (its total and its parts) with exactly one suppressed cell gives it
 * away: a part is the total minus the others, a total the sum of its parts. So the line's
 * next-smallest part counting anyone (ties: the first named) is suppressed too; failing any, its
 * total (a hidden total whose parts are all shown zeros gives away only a zero, and stays so).
 * Every change can open another line, so this repeats until no line has exactly one suppressed
 * cell that works out to anyone. Zeros stay shown. `fixed` cells are published by another answer
 * and are never added; a part that is the only one counting anyone in a line whose total is such
 * a cell, shown, is never chosen either (the total gives it away whatever is hidden here). A line
 * whose only candidate is a fixed total is left: its lone hidden cell is then given away by the
 * other answers and the zeros together (with an additive line, the total minus zeros: so it
 * counts as few and is hidden in its own answer, unless it was hidden for another line).
 * Returns the names suppressed: `hidden` (the primary suppression and any earlier) and those added.
 */
export function complementary(
  values: Readonly<Record<string, number>>,
  hidden: ReadonlySet<string>,
  lines: readonly Line[],
  fixed: ReadonlySet<string> = new Set(),
): Set<string> {
  const result = new Set(hidden);
  const pinned = new Set(
    lines
      .filter(({ total }) => fixed.has(total) && !hidden.has(total))
      .map(({ parts }) => parts.filter((part) => values[part] > 0))
      .filter((counting) => counting.length === 1)
      .map(([part]) => part),
  );
  for (let changed = true; changed; ) {
    changed = false;
    for (const { total, parts } of lines) {
      if ([total, ...parts].filter((name) => result.has(name)).length !== 1) continue;
      const next = parts.filter((part) => !result.has(part) && !pinned.has(part) && values[part] > 0).sort((a, b) => values[a] - values[b])[0] ?? total;
      // A hidden total over shown zeros gives away a zero only: nothing to add.
      if (result.has(next) || fixed.has(next)) continue;
      result.add(next);
      changed = true;
    }
  }
  return result;
}
