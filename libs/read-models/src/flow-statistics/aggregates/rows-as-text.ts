/**
 * A read of kept counts sent back as one text: its rows joined by the record separator (U+001E),
 * each row's fields by the unit separator (U+001F). node-pg builds an object per row from its
 * texts, which for the ~1,700 rows of a flows answer of four years by month cost the service more
 * than PostgreSQL's read; `json_agg(json_build_array(…))` cost PostgreSQL more than the service
 * saved (json_build_array works out each argument's type for every row); one `string_agg` costs
 * PostgreSQL about a millisecond more than the rows and the service a third of their parse
 * (bench/README.md, "Computed answers (ninth session)").
 *
 * `columns`: SQL expressions of type text over the read's rows, never NULL (a NULL would drop the
 * row) and never holding a separator: the counts' keys are codes, dates and names of the
 * statistics' own vocabulary.
 */
export const rowsAsText = (columns: readonly string[], read: string): string =>
  `SELECT string_agg(${columns.join(' || chr(31) || ')}, chr(30)) AS rows FROM (${read}) AS r`;

/** The fields of each row of a rowsAsText read (its `rows`: null for no rows). */
export const rowsOfText = (rows: string | null): string[][] => (rows === null ? [] : rows.split('\x1e').map((row) => row.split('\x1f')));
