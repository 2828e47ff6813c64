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
const isSmall = (persons: number, threshold: number) => persons > 0 && persons < threshold;

/** Primary suppression of one number: `value` events of `persons` distinct persons (equal for stocks). */
export function cell(value: number, persons: number, suppressBelow: number): Cell {
  return isSmall(persons, suppressBelow) ? HIDDEN : { value, suppressed: false };
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
  const persons = keys.map((key) => parts[key].persons);
  const { totalHidden, hidden } = suppressedOf(total.persons, persons, suppressBelow);
  // The parts' cells set in a loop: some 200 breakdowns an answer of 48 periods.
  const cells = {} as Record<K, Cell>;
  for (let index = 0; index < keys.length; index++) cells[keys[index]] = hidden?.[index] ? HIDDEN : { value: parts[keys[index]].value, suppressed: false };
  return { total: totalHidden ? HIDDEN : { value: total.value, suppressed: false }, parts: cells };
}

/**
 * breakdown's line of persons counted (each part's value its persons: VDAB's pair), its parts in
 * an array: no record keyed by the groups' names and no count object per part (VDAB's points, 36
 * parts a point of 48 an answer: bench/README.md, "Computed range answers: the date counts
 * prepared, validation, VDAB's points (fourteenth session)").
 */
export function personsBreakdown(total: number, parts: ArrayLike<number>, suppressBelow: number): { total: Cell; parts: Cell[] } {
  const { totalHidden, hidden } = suppressedOf(total, parts, suppressBelow);
  const cells: Cell[] = new Array<Cell>(parts.length);
  for (let index = 0; index < parts.length; index++) cells[index] = hidden?.[index] ? HIDDEN : { value: parts[index], suppressed: false };
  return { total: totalHidden ? HIDDEN : { value: total, suppressed: false }, parts: cells };
}

/**
 * Which cells of a line breakdown suppresses, from the persons each counts: the total (`totalHidden`),
 * and the parts by index (`hidden`, null when none is). Ties go to the part named first.
 */
function suppressedOf(total: number, persons: ArrayLike<number>, suppressBelow: number): { totalHidden: boolean; hidden: boolean[] | null } {
  // Flags only when a part is small: most lines of a range answer have none, and a set, its
  // spread and closures per line were most of the lines' work (some 350 lines an answer of 48
  // periods: bench/README.md, "Computed range answers' per-answer work (thirteenth session)").
  let hidden: boolean[] | null = null;
  let hiddenPersons = 0;
  for (let index = 0; index < persons.length; index++) {
    if (!isSmall(persons[index], suppressBelow)) continue;
    (hidden ??= new Array<boolean>(persons.length).fill(false))[index] = true;
    hiddenPersons += persons[index];
  }
  let totalHidden = isSmall(total, suppressBelow);
  if (hidden !== null) {
    while (!totalHidden && hiddenPersons < suppressBelow) {
      // The smallest part still shown that counts anyone (the first named of equals).
      let next = -1;
      for (let index = 0; index < persons.length; index++) if (!hidden[index] && persons[index] > 0 && (next === -1 || persons[index] < persons[next])) next = index;
      if (next === -1) totalHidden = true;
      else {
        hidden[next] = true;
        hiddenPersons += persons[next];
      }
    }
  }
  return { totalHidden, hidden };
}

/** One line of a table (a row or a column, margins included): a total and the parts that add up to it, by cell name. */
export interface Line {
  total: string;
  parts: readonly string[];
}

/** A table's lines by number: each line's cells (its total first), and the lines through each cell. */
interface Lines {
  cellsOf: string[][];
  linesOf: Map<string, number[]>;
}

function indexOf(lines: readonly Line[]): Lines {
  const cellsOf = lines.map(({ total, parts }) => [total, ...parts]);
  const linesOf = new Map<string, number[]>();
  cellsOf.forEach((cells, index) => {
    for (const name of cells) {
      const through = linesOf.get(name);
      if (through) through.push(index);
      else linesOf.set(name, [index]);
    }
  });
  return { cellsOf, linesOf };
}

/**
 * What subtraction works out, line after line, from the cells `known` (grown in place and
 * returned): a line with exactly one cell left unknown gives it away (a part is the total minus
 * the others, a total the sum of its parts), and that cell then counts as known for every other
 * line. Each line keeps a count of its unknown cells, so a large table takes one pass.
 */
function workedOut({ cellsOf, linesOf }: Lines, known: Set<string>): Set<string> {
  const unknown = cellsOf.map((cells) => cells.filter((name) => !known.has(name)).length);
  const ready = unknown.flatMap((count, index) => (count === 1 ? [index] : []));
  for (let index = ready.pop(); index !== undefined; index = ready.pop()) {
    const name = cellsOf[index].find((cell) => !known.has(cell));
    if (name === undefined) continue;
    known.add(name);
    for (const line of linesOf.get(name)!) if (--unknown[line] === 1) ready.push(line);
  }
  return known;
}

/**
 * Secondary (complementary) suppression within a table whose lines share cells (a total, its parts
 * and their splits). A line (its total and its parts) with exactly one suppressed cell that is not
 * given away anyway (below) gives it away: a part is the total minus the others, a total the sum
 * of its parts. So the line's next-smallest part counting anyone (ties: the first named) is
 * suppressed too; failing any, its total. Every change can open another line, so this repeats
 * until no line has exactly one such cell: then nothing suppressed can be worked out from the
 * shown cells, line after line, that was not given away anyway. Zeros stay shown.
 *
 * Given away anyway: what the zeros and the shown `fixed` cells (published by another answer, and
 * never added here) work out to line after line, whatever else is suppressed; a hidden total over
 * shown zeros, say, or the only part counting anyone in a line whose total is fixed and shown.
 * Suppressing such a cell protects nothing, so it is never chosen, and a suppressed one counts as
 * known (it leaves its lines as open as a shown cell would).
 * Returns the names suppressed: `hidden` (the primary suppression and any earlier) and those added.
 */
export function complementary(
  values: Readonly<Record<string, number>>,
  hidden: ReadonlySet<string>,
  lines: readonly Line[],
  fixed: ReadonlySet<string> = new Set(),
): Set<string> {
  const result = new Set(hidden);
  const indexed = indexOf(lines);
  const { cellsOf, linesOf } = indexed;
  const anyway = workedOut(indexed, new Set([...linesOf.keys()].filter((name) => !hidden.has(name) && (fixed.has(name) || values[name] === 0))));
  const open = (name: string) => result.has(name) && !anyway.has(name);
  // Each line's count of open cells; the lines with exactly one are treated in turn, first come first.
  const opened = cellsOf.map((cells) => cells.filter(open).length);
  const waiting = opened.flatMap((count, index) => (count === 1 ? [index] : []));
  for (let at = 0; at < waiting.length; at++) {
    const line = waiting[at];
    if (opened[line] !== 1) continue;
    const { total, parts } = lines[line];
    const next = [...parts.filter((part) => values[part] > 0).sort((a, b) => values[a] - values[b]), total].find(
      (name) => !result.has(name) && !anyway.has(name) && !fixed.has(name),
    );
    // Always found: were all the line's other cells known anyway, its open cell would be too. Guarded all the same.
    if (next === undefined) continue;
    result.add(next);
    for (const through of linesOf.get(next)!) if (++opened[through] === 1) waiting.push(through);
  }
  return result;
}
