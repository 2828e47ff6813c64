/**
 * A read of kept counts sent back as one text: its rows joined by the record separator (U+001E),
 * each row's fields by the unit separator (U+001F). node-pg builds an object per row from its
 * texts, which for the ~1,700 rows of a flows answer of four years by month cost the service more
 * than PostgreSQL's read; `json_agg(json_build_array(…))` cost PostgreSQL more than the service
 * saved (json_build_array works out each argument's type for every row); one `string_agg` costs
 * PostgreSQL about a millisecond more than the rows and the service a third of their parse
 * (bench/README.md, "Computed answers (ninth session)").
 *
 * `columns`: SQL expressions of type text over the read's rows, never holding a record separator,
 * and the unit separator only between fields already joined (a flows count's `line`,
 * aggregates/flows.ts): the counts' keys are codes, dates and names of the statistics' own
 * vocabulary. A NULL field would
 * make its whole row NULL, which `string_agg` skips: the rows are counted beside the text, and
 * eachRowOfText refuses an answer that lost one rather than give a count short of a row.
 */
export const rowsAsText = (columns: readonly string[], read: string): string =>
  `SELECT string_agg(${columns.join(' || chr(31) || ')}, chr(30)) AS rows, count(*)::int AS count FROM (${read}) AS r`;

/** What a rowsAsText read sends back: its rows as one text (null for none) and how many rows were read. */
export interface RowsText {
  readonly rows: string | null;
  readonly count: number;
}

/**
 * Each row of a rowsAsText read, its fields in one array handed to `each` row after row (the same
 * array: `each` takes what it keeps out of it), then throws if a row was lost to a NULL field.
 * Split in place, where splitting the text into rows and each row into fields made an array and a
 * string per row more, some 250 KB per answer of 1,700 rows for the collector (bench/README.md,
 * "Computed range answers (tenth session)"). A field equal to the same field of the row before is
 * handed over as that very string, not split off again: rows read in the order of a key repeat
 * its first columns (a flows answer's period, group and measure). The array keeps its storage
 * from row to row (emptied with `length = 0`, V8 gave it new storage each row). Measured over
 * canned rows: a tenth of what the split allocated for a flows answer's rows (in key order), under
 * a third for rows in no order (bench/README.md, "Computed range answers' allocations (twelfth
 * session)").
 */
export function eachRowOfText({ rows, count }: RowsText, each: (fields: readonly string[]) => void): void {
  const fields: string[] = [];
  let read = 0;
  if (rows !== null) {
    // The i-th field of this row, from..to: the row before's if the same text (compared character
    // by character: V8's startsWith makes the substring it compares).
    const field = (i: number, from: number, to: number) => {
      if (i < fields.length) {
        const before = fields[i];
        let same = before.length === to - from;
        for (let k = 0; same && k < before.length; k++) same = before.charCodeAt(k) === rows.charCodeAt(from + k);
        if (!same) fields[i] = rows.slice(from, to);
      } else fields.push(rows.slice(from, to));
    };
    for (let at = 0; at <= rows.length; read++) {
      const end = rows.indexOf('\x1e', at);
      const last = end === -1 ? rows.length : end;
      let i = 0;
      for (let next = rows.indexOf('\x1f', at); next !== -1 && next < last; next = rows.indexOf('\x1f', at)) {
        field(i++, at, next);
        at = next + 1;
      }
      field(i++, at, last);
      fields.length = i;
      at = last + 1;
      each(fields);
    }
  }
  if (read !== Number(count)) {
    throw new Error(`A read of kept counts sent ${read} rows of ${count}: a field was NULL (rows-as-text.ts)`);
  }
}