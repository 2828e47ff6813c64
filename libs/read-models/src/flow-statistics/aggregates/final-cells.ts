import type { RebuildContext } from '@app/projection-engine';
import { copyChanges, primaryKeyOrder, type CountTable, type Deltas } from './delta';

/** A cell's change as Deltas gives it: its key's values, then its counts. */
type Change = { key: readonly string[]; n: readonly number[] };

/**
 * Moves out of `deltas` (a table's held cells) those no dossier from `firstDay` on can add to: one
 * of their bounds (CountTable.lastStarts) is before it. A bound's answer is worked out once per
 * call for each of its columns' values (some thousands for hundreds of thousands of cells).
 */
export function takeFinal(table: CountTable, deltas: Deltas, firstDay: string): Deltas {
  const { codes } = deltas;
  // A bound reads one or two columns: their codes combined stay exact in a number.
  const radix = codes.size + 1;
  const bounds = table.lastStarts.map(({ columns, of }) => ({ columns, of, before: new Map<number, boolean>() }));
  return deltas.takeWhere((keys, base) => {
    for (const { columns, of, before } of bounds) {
      let at = 0;
      for (const column of columns) at = at * radix + keys[base + column];
      let is = before.get(at);
      if (is === undefined) {
        const last = of(columns.map((column) => codes.text(keys[base + column])));
        before.set(at, (is = last !== null && last < firstDay));
      }
      if (is) return true;
    }
    return false;
  });
}

/**
 * Final cells of the count tables (takeFinal) on their way into the tables while a one-pass fold
 * goes on: each table's cells of a hand-over (add) sorted in the order of its primary key and
 * written with COPY, a few rows at a time (write: between the fold's steps, on its connection) or
 * all that is left (at the fold's end). A table is written with COPY alone from the first on, so
 * a rebuild's copy builds its key after (RebuildContext.keyAfterRows), as for the sums of the spills.
 */
export class FinalCells {
  /** The hand-overs not yet written, oldest first: a table's changes in key order, and the next. */
  private readonly queue: Array<{ table: CountTable; changes: Iterator<Change>; next: IteratorResult<Change> }> = [];
  private readonly keyed = new Set<string>();

  /** Hands a table's final cells over (none of them handed over before, none held after). */
  add(table: CountTable, cells: Deltas): void {
    if (cells.size === 0) return;
    const changes = cells.changesInKeyOrder(primaryKeyOrder(table))[Symbol.iterator]();
    this.queue.push({ table, changes, next: changes.next() });
  }

  /** Writes up to `rows` of the cells handed over (all of them by default), in the order they were. */
  async write(context: Pick<RebuildContext, 'schema' | 'copy' | 'keyAfterRows'>, rows = Infinity): Promise<void> {
    let left = rows;
    while (left > 0 && this.queue.length > 0) {
      const handed = this.queue[0];
      if (handed.next.done) {
        this.queue.shift();
        continue;
      }
      if (!this.keyed.has(handed.table.name)) {
        await context.keyAfterRows(handed.table.name);
        this.keyed.add(handed.table.name);
      }
      const some = function* () {
        while (left > 0 && !handed.next.done) {
          yield handed.next.value;
          left--;
          handed.next = handed.changes.next();
        }
      };
      await copyChanges(context, handed.table, some());
    }
  }
}

