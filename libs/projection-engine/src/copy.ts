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
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/[\\\n\r\t]/g, (character) => ESCAPES[character]);
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function* copyLines(rows: Iterable<readonly unknown[]>): Generator<string> {
  let chunk: string[] = [];
  for (const row of rows) {
    chunk.push(row.map(copyText).join('\t'));
    if (chunk.length === ROWS_PER_CHUNK) {
      yield chunk.join('\n') + '\n';
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk.join('\n') + '\n';
}

/** COPY rows into a table on the runner's connection, in its transaction. */
export async function copyRows(runner: QueryRunner, table: string, columns: readonly string[], rows: Iterable<readonly unknown[]>): Promise<void> {
  const client = (await runner.connect()) as PoolClient;
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(copyLines(rows)), stream);
}
