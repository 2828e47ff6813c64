import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { QueryRunner } from 'typeorm';

/** Bytes of COPY text per chunk written to the COPY stream: large enough to cost little per row, small enough to stay small. */
const CHUNK_BYTES = 64 * 1024;
/** A chunk's buffer: its last row fits without a copy unless that row is longer than the rest (then the buffer grows). */
const BUFFER_BYTES = 2 * CHUNK_BYTES;

/** Texts this long or longer are written by Buffer's own write when nothing in them needs an escape (CopyText.text). */
const LONG_TEXT = 64;
const SPECIAL = /[\\\n\r\t]/;

const TAB = 0x09;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BACKSLASH = 0x5c;

/**
 * Rows in COPY's text format, written as bytes straight into chunks of about CHUNK_BYTES (a row
 * never split between two). A value: NULL as \N; backslash, newline, carriage return and tab
 * escaped (as \\, \n, \r, \t), any other character as its UTF-8 bytes; booleans as t/f;
 * integers in decimal, other numbers and bigints as String gives them; dates as ISO timestamps;
 * other objects as JSON. Values are already storable (safe-form.ts), so none holds U+0000, which
 * COPY could not carry. Until 2026-12-05 each row was a string, escaped by a regular expression,
 * joined into a string per thousand rows that the stream turned into bytes (bench/README.md,
 * "The fold's write side: no comparator, COPY text as bytes").
 */
export class CopyText {
  private buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private length = 0;

  /** Writes a row (its values, then a newline). */
  row(values: readonly unknown[]): void {
    for (let column = 0; column < values.length; column++) {
      if (column > 0) this.byte(TAB);
      this.value(values[column]);
    }
    this.byte(NEWLINE);
  }

  /** Whether the rows written make a chunk. */
  get full(): boolean {
    return this.length >= CHUNK_BYTES;
  }

  /** The bytes written since the last take (a chunk to write), none after. */
  take(): Buffer {
    const chunk = this.buffer.subarray(0, this.length);
    this.buffer = Buffer.allocUnsafe(BUFFER_BYTES);
    this.length = 0;
    return chunk;
  }

  private value(value: unknown): void {
    switch (typeof value) {
      case 'string':
        return this.text(value);
      case 'number':
        return Number.isSafeInteger(value) ? this.integer(value) : this.text(String(value));
      case 'boolean':
        return this.byte(value ? 0x74 : 0x66);
      case 'undefined':
        return this.text('\\N', false);
      case 'bigint':
        return this.text(String(value));
    }
    if (value === null) return this.text('\\N', false);
    this.text(value instanceof Date ? value.toISOString() : JSON.stringify(value));
  }

  private byte(byte: number): void {
    this.room(1);
    this.buffer[this.length++] = byte;
  }

  /** Writes the text's UTF-8 bytes, its special characters escaped unless `escaped` is false. */
  private text(text: string, escaped = true): void {
    // At most 3 bytes per UTF-16 unit (a pair of them, 4 bytes, is 2 units); 2 for an escape.
    this.room(3 * text.length);
    // A long text with nothing to escape (a JSON document) is encoded faster by Buffer's own
    // write; a short one (a code, a date, an id) by the loop below, which a call would cost more.
    if (text.length >= LONG_TEXT && !(escaped && SPECIAL.test(text))) {
      this.length += this.buffer.write(text, this.length);
      return;
    }
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (unit < 0x80) {
        if (escaped && (unit === BACKSLASH || unit === NEWLINE || unit === CARRIAGE_RETURN || unit === TAB)) {
          buffer[at++] = BACKSLASH;
          buffer[at++] = unit === BACKSLASH ? BACKSLASH : unit === NEWLINE ? 0x6e : unit === CARRIAGE_RETURN ? 0x72 : 0x74;
        } else buffer[at++] = unit;
      } else if (unit < 0x800) {
        buffer[at++] = 0xc0 | (unit >> 6);
        buffer[at++] = 0x80 | (unit & 0x3f);
      } else {
        let point = unit;
        const low = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
        if (unit >= 0xd800 && unit < 0xdc00 && low >= 0xdc00 && low < 0xe000) {
          point = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          i++;
          buffer[at++] = 0xf0 | (point >> 18);
          buffer[at++] = 0x80 | ((point >> 12) & 0x3f);
        } else {
          // A lone surrogate as U+FFFD, as Buffer.from(text) writes it.
          if (unit >= 0xd800 && unit < 0xe000) point = 0xfffd;
          buffer[at++] = 0xe0 | (point >> 12);
        }
        buffer[at++] = 0x80 | ((point >> 6) & 0x3f);
        buffer[at++] = 0x80 | (point & 0x3f);
      }
    }
    this.length = at;
  }

  /** A safe integer in decimal, its digits written without a string. */
  private integer(value: number): void {
    this.room(17);
    let at = this.length;
    if (value < 0) {
      this.buffer[at++] = 0x2d;
      value = -value;
    }
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    at += digits;
    this.length = at;
    for (let rest = value; digits > 0; digits--, rest = Math.floor(rest / 10)) this.buffer[--at] = 0x30 + (rest % 10);
  }

  /** Makes room for `bytes` more bytes: a row longer than a chunk grows its buffer. */
  private room(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/** The rows' COPY text, a chunk at a time (CopyText). */
export function* copyChunks(rows: Iterable<readonly unknown[]>): Generator<Buffer> {
  const text = new CopyText();
  for (const row of rows) {
    text.row(row);
    if (text.full) yield text.take();
  }
  const last = text.take();
  if (last.length > 0) yield last;
}

/** COPY rows into a table on the runner's connection, in its transaction. */
export async function copyRows(runner: QueryRunner, table: string, columns: readonly string[], rows: Iterable<readonly unknown[]>): Promise<void> {
  const client = (await runner.connect()) as PoolClient;
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(copyChunks(rows)), stream);
}
