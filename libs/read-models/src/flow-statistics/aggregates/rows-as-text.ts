/**
 * A read of kept counts sent back as one text: its rows joined by the record separator (U+001E),
 * each row's fields by the unit separator (U+001F). node-pg builds an object per row from its
 * texts, which for the ~1,700 rows of a flows answer of four years by month cost the service more
 * than PostgreSQL's read; `json_agg(json_build_array(…))` cost PostgreSQL more than the service
 * saved (json_build_array works out each argument's type for every row); one `string_agg` costs
 * PostgreSQL about a millisecond more than the rows and the service a third of their parse
 * (bench/README.md, "Computed answers (ninth session)").
 *
 * `columns`: SQL expressions of type text over the read's rows, never holding a separator: the
 * counts' keys are codes, dates and names of the statistics' own vocabulary. A NULL field would
 * make its whole row NULL, which `string_agg` skips: the rows are counted beside the text, and
 * rowsOfText refuses an answer that lost one rather than give a count short of a row.
 */
export const rowsAsText = (columns: readonly string[], read: string): string =>
  `SELECT string_agg(${columns.join(' || chr(31) || ')}, chr(30)) AS rows, count(*)::int AS count FROM (${read}) AS r`;

/** What a rowsAsText read sends back: its rows as one text (null for none) and how many rows were read. */
export interface RowsText {
  readonly rows: string | null;
  readonly count: number;
}

/** The fields of each row of a rowsAsText read; throws when a row was lost to a NULL field. */
export function rowsOfText({ rows, count }: RowsText): string[][] {
  const parsed = rows === null ? [] : rows.split('\x1e').map((row) => row.split('\x1f'));
  if (parsed.length !== Number(count)) {
    throw new Error(`A read of kept counts sent ${parsed.length} rows of ${count}: a field was NULL (rows-as-text.ts)`);
  }
  return parsed;
}
