import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { QueryRunner } from 'typeorm';

/** Rows per chunk written to the COPY stream: large enough to cost little per row, small enough to stay small. */
const ROWS_PER_CHUNK = 1000;

/**
 * One value in COPY's text format: NULL as \N; backslash, newline, carriage return and tab
 * escaped; booleans as t/f; dates as ISO timestamps; objects as JSON. Values are already
 * storable (safe-form.ts), so none holds U+0000, which COPY could not carry.
 */
export function copyText(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return '\\N';
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
    case 'bigint':
      return String(value);
    case 'string':
      // Most text needs no escape: testing first spares a copy of it.
      return SPECIAL.test(value) ? value.replace(SPECIALS, (character) => ESCAPES[character]) : value;
  }
  if (value === null) return '\\N';
  return copyText(value instanceof Date ? value.toISOString() : JSON.stringify(value));
}

const SPECIAL = /[\\\n\r\t]/;
const SPECIALS = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function* copyLines(rows: Iterable<readonly unknown[]>): Generator<string> {
  let chunk = '';
  let count = 0;
  for (const row of rows) {
    let line = copyText(row[0]);
    for (let column = 1; column < row.length; column++) line += '\t' + copyText(row[column]);
    chunk += line + '\n';
    if (++count === ROWS_PER_CHUNK) {
      yield chunk;
      chunk = '';
      count = 0;
    }
  }
  if (count > 0) yield chunk;
}

/** COPY rows into a table on the runner's connection, in its transaction. */
export async function copyRows(runner: QueryRunner, table: string, columns: readonly string[], rows: Iterable<readonly unknown[]>): Promise<void> {
  const client = (await runner.connect()) as PoolClient;
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(copyLines(rows)), stream);
}
