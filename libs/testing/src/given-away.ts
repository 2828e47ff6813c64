/**
 * The statistics' rule against working out a suppressed cell (docs/statistics.md, "Suppression"),
 * stated once for the specs and the property suite alike, from published figures only.
 */

/** A published cell (`c`, as the answer shows it) and the count it stands for (`n`); `margin`: another answer's total; `name`: where it is, for messages. */
export interface PublishedCell {
  name?: string;
  n: number;
  c: { value: number | null; suppressed: boolean };
  margin?: boolean;
}

/** A total and the parts that add up to it: a row or column of a table, or a breakdown. */
export interface PublishedLine {
  total: PublishedCell;
  parts: readonly PublishedCell[];
}

/** What subtraction works out from `known`, line after line: a line with one cell left unknown gives it (the total minus the other parts, or their sum). */
function workedOut(lines: readonly PublishedLine[], known: Set<PublishedCell>): Set<PublishedCell> {
  for (let changed = true; changed; ) {
    changed = false;
    for (const { total, parts } of lines) {
      const unknown = [total, ...parts].filter((cell) => !known.has(cell));
      if (unknown.length !== 1) continue;
      known.add(unknown[0]);
      changed = true;
    }
  }
  return known;
}

/**
 * The suppressed cells counting anyone that the published figures give away by subtraction (line
 * after line, each cell worked out counting as known for the next), but for those that the other
 * answers' shown totals (`margin`) and the zeros give away whatever this answer hides: as zeros
 * are shown, no suppression here can keep those. None may be left.
 */
export function givenAway(lines: readonly PublishedLine[]): PublishedCell[] {
  const cells = new Set(lines.flatMap(({ total, parts }) => [total, ...parts]));
  const shown = [...cells].filter(({ c }) => !c.suppressed);
  const anyway = workedOut(lines, new Set(shown.filter(({ n, margin }) => margin || n === 0)));
  const known = workedOut(lines, new Set(shown));
  return [...cells].filter((cell) => cell.c.suppressed && cell.n > 0 && known.has(cell) && !anyway.has(cell));
}

/**
 * Every cell of a group of a published answer by its path (`active`, `byStage.housed`: objects
 * whose leaves are `{ value, suppressed }`; its `group` is no number), with the count `count`
 * gives for the path; `margin`: the group is another answer's. Named `name` and the path.
 */
export function publishedCells(body: object, count: (path: string) => number, options: { margin?: boolean; name?: string } = {}): Map<string, PublishedCell> {
  const cells = new Map<string, PublishedCell>();
  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (typeof record.suppressed === 'boolean' && 'value' in record) {
      cells.set(path, { name: `${options.name ?? ''} ${path}`.trim(), n: count(path), c: record as PublishedCell['c'], margin: options.margin });
      return;
    }
    for (const [key, inner] of Object.entries(record)) if (key !== 'group') walk(inner, path ? `${path}.${key}` : key);
  };
  walk(body, '');
  return cells;
}

/** A group of a published table: what it is, and its cells by path. */
export interface PublishedGroup<G> {
  group: G;
  cells: ReadonlyMap<string, PublishedCell>;
}

/**
 * The lines of a table across groups as published (docs/statistics.md, "Tables across groups"):
 * each group's own lines (`within`: a total and its parts, by path), and for each margin (the
 * answer without one dimension, its cells marked `margin`) each number of each of its groups
 * against the same number of the table's groups that add up to it (`adds`).
 */
export function tableLines<G>(
  groups: ReadonlyArray<PublishedGroup<G>>,
  within: ReadonlyArray<{ total: string; parts: readonly string[] }>,
  margins: ReadonlyArray<{ groups: ReadonlyArray<PublishedGroup<G>>; adds: (margin: G, group: G) => boolean }>,
): PublishedLine[] {
  const lines: PublishedLine[] = groups.flatMap(({ cells }) =>
    within.filter(({ total }) => cells.has(total)).map(({ total, parts }) => ({ total: cells.get(total)!, parts: parts.flatMap((path) => cells.get(path) ?? []) })),
  );
  for (const margin of margins) {
    for (const { group, cells } of margin.groups) {
      const members = groups.filter((member) => margin.adds(group, member.group));
      for (const [path, total] of cells) lines.push({ total, parts: members.flatMap((member) => member.cells.get(path) ?? []) });
    }
  }
  return lines;
}
