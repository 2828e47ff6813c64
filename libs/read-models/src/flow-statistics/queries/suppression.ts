/**
 * A published number. Cells counting fewer persons than the threshold (but more than none) are
 * suppressed: value null, suppressed true. A zero is shown: it reveals nobody.
 */
export interface Cell {
  value: number | null;
  suppressed: boolean;
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
