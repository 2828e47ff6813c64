import { byPerson, groupingOf, PLACES, type GroupBy, type GroupView } from './groups';
import { complementary, type Cell, type Line } from './suppression';

/** A dimension a grouping can be coarsened by: its margin is the answer grouped without it (cohort: VDAB's own). */
export type Dimension = 'place' | 'sex' | 'ageBand' | 'cohort';

/**
 * The margins of an answer grouped by the person (sex, age band): for each of its dimensions, the
 * groupBy without it. None for an answer grouped by a place alone (or not at all): its groups
 * are suppressed each on its own, as they always were.
 */
export function marginsOf(groupBy: GroupBy): Array<{ dimension: Dimension; groupBy: GroupBy }> {
  if (!byPerson(groupingOf(groupBy))) return [];
  const names = groupBy.split(',');
  return names.map((name) => ({
    dimension: ((PLACES as readonly string[]).includes(name) ? 'place' : name) as Dimension,
    groupBy: names.filter((other) => other !== name).join(',') || 'none',
  }));
}

/** One group's part of a table: its group, and its numbers (objects and arrays whose leaves are cells). */
export interface TablePart {
  group: (GroupView & { cohort?: string }) | null;
  body: object;
}

/** A table of an answer: a part per group, and the lines within each part (by path: a total and its parts). */
export interface Table {
  parts: TablePart[];
  within: readonly Line[];
}

/** Every cell of a part's body by its path (`active`, `byStage.registered`, `steps.2.count`); a `group` is no number. */
export function cellsOf(body: unknown, path = '', into = new Map<string, Cell>()): Map<string, Cell> {
  if (body === null || typeof body !== 'object') return into;
  const record = body as Record<string, unknown>;
  if (typeof record.suppressed === 'boolean' && 'value' in record) return into.set(path, record as unknown as Cell);
  for (const [key, value] of Object.entries(record)) if (key !== 'group') cellsOf(value, path ? `${path}.${key}` : key, into);
  return into;
}

/** The lines of breakdowns with a total: `x.total` and the cells beside it (`x.byReason.*`). */
export function breakdownLines(body: object): Line[] {
  const paths = [...cellsOf(body).keys()];
  return paths
    .filter((path) => path.endsWith('.total'))
    .map((total) => {
      const prefix = total.slice(0, -'total'.length);
      return { total, parts: paths.filter((path) => path.startsWith(prefix) && path !== total) };
    });
}

/** Where a group sits in the margin without `dimension`: its other dimensions. */
function marginKey(group: (GroupView & { cohort?: string }) | null, dimension: Dimension | null): string {
  return JSON.stringify([
    dimension === 'place' ? null : (group?.nis ?? null),
    dimension === 'sex' ? null : (group?.sex ?? null),
    dimension === 'ageBand' ? null : (group?.ageBand ?? null),
    dimension === 'cohort' ? null : (group?.cohort ?? null),
  ]);
}

/**
 * Secondary suppression across the groups of one table of an answer grouped by the person (sex,
 * age band) and perhaps a place: each number of a group is a cell of a table with a row or column
 * per dimension, whose margins are the answers grouped without that dimension, published too
 * (`margins`: their parts, suppressed as they answer). Its lines: for every number (an
 * `additive` path) and dimension, a margin's cell as the total and the groups' cells it adds up
 * as the parts; and each group's own lines (`within`). complementary() over all of them at once,
 * the margins' cells fixed (their answers decide them). Hides cells of `parts` in place;
 * `unsuppressed` is the same table with nothing suppressed (the numbers to choose by).
 */
export function suppressAcross(
  table: Table,
  unsuppressed: Table,
  margins: ReadonlyArray<{ dimension: Dimension; parts: readonly TablePart[] }>,
  additive: (path: string) => boolean = () => true,
): void {
  const values: Record<string, number> = {};
  const hidden = new Set<string>();
  const fixed = new Set<string>();
  const lines: Line[] = [];
  const cells = table.parts.map((part) => cellsOf(part.body));
  cells.forEach((byPath, index) => {
    const raw = cellsOf(unsuppressed.parts[index].body);
    for (const [path, cell] of byPath) {
      const name = `${index}|${path}`;
      values[name] = raw.get(path)?.value ?? 0;
      if (cell.suppressed) hidden.add(name);
    }
    for (const { total, parts } of table.within) {
      if (byPath.has(total)) lines.push({ total: `${index}|${total}`, parts: parts.filter((path) => byPath.has(path)).map((path) => `${index}|${path}`) });
    }
  });
  margins.forEach(({ dimension, parts: marginParts }, m) => {
    const totals = new Map(marginParts.map((part) => [marginKey(part.group, null), cellsOf(part.body)]));
    const members = new Map<string, number[]>();
    table.parts.forEach((part, index) => {
      const key = marginKey(part.group, dimension);
      members.set(key, [...(members.get(key) ?? []), index]);
    });
    for (const [key, indexes] of members) {
      const margin = totals.get(key);
      if (!margin) continue;
      for (const [path, total] of margin) {
        if (!additive(path)) continue;
        const name = `m${m}|${key}|${path}`;
        fixed.add(name);
        values[name] = total.value ?? 0;
        if (total.suppressed) hidden.add(name);
        lines.push({ total: name, parts: indexes.filter((index) => cells[index].has(path)).map((index) => `${index}|${path}`) });
      }
    }
  });
  const suppressed = complementary(values, hidden, lines, fixed);
  cells.forEach((byPath, index) => {
    for (const [path, cell] of byPath) if (!cell.suppressed && suppressed.has(`${index}|${path}`)) Object.assign(cell, { value: null, suppressed: true });
  });
}
