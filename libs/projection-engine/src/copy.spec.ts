import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { createTestDatabase } from '@app/testing';
import { copyChunks, copyRows } from './copy';

/**
 * COPY's text format as the spec reads it (PostgreSQL's docs, "COPY", "Text Format"): a value
 * as text, backslash, newline, carriage return and tab escaped; NULL as \N; the text in UTF-8.
 */
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const asCopyText = (value: unknown): string => {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? String(value) : value instanceof Date ? value.toISOString() : JSON.stringify(value);
  return text.replace(/[\\\n\r\t]/g, (character) => ESCAPES[character]);
};
const asCopyBytes = (rows: ReadonlyArray<readonly unknown[]>): Buffer => Buffer.from(rows.map((row) => `${row.map(asCopyText).join('\t')}\n`).join(''));

/** Texts with what COPY escapes, characters of two, three and four UTF-8 bytes, and lone halves of a surrogate pair. */
const unit = fc.oneof(
  fc.constantFrom('\\', '\t', '\n', '\r', 'N', 'é', '€', '😀', '\ud800', '\udc00', ' '),
  fc.integer({ min: 1, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
);
/** Short texts, and long ones (written another way): of any of those characters, or of ASCII alone (nothing to escape, most of the time). */
const text = fc.oneof(
  fc.string({ unit }),
  fc.string({ unit, minLength: 60, maxLength: 300 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 60, maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('a', 'é', '😀', '\ud800'), minLength: 60, maxLength: 300 }),
);
const value = fc.oneof(
  text,
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.maxSafeInteger(),
  fc.maxSafeNat().map((n) => -n),
  fc.double(),
  fc.bigInt(),
  fc.boolean(),
  fc.constantFrom(null, undefined),
  fc.date({ noInvalidDate: true }),
  fc.dictionary(text, fc.oneof(text, fc.integer())),
);

describe('COPY text (copyChunks)', () => {
  it('writes each value as COPY reads it, whatever its characters, and every chunk ends with a whole row', () => {
    fc.assert(
      fc.property(fc.array(fc.array(value, { minLength: 1, maxLength: 6 }), { maxLength: 40 }), (rows) => {
        const chunks = [...copyChunks(rows)];
        expect(Buffer.concat(chunks)).toEqual(asCopyBytes(rows));
        for (const chunk of chunks) expect(chunk.at(-1)).toBe(0x0a);
      }),
    );
  });

  it('cuts many rows into chunks of whole rows, and writes a row longer than a chunk whole', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => [`row ${i}\t`, i, i % 7 === 0 ? null : 'é'.repeat(i % 5)]);
    rows.splice(9_000, 0, ['long', 'x\\'.repeat(200_000), -1]);
    const chunks = [...copyChunks(rows)];
    expect(chunks.length).toBeGreaterThan(3);
    // Compared whole (a diff of megabytes would not help).
    expect(Buffer.concat(chunks).equals(asCopyBytes(rows))).toBe(true);
    for (const chunk of chunks) expect(chunk.at(-1)).toBe(0x0a);
  });
});

describe('copyRows (COPY into PostgreSQL)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource({ type: 'postgres', url: database.url });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('stores each value as it was given: texts of any character but U+0000, integers, flags, dates, JSON and NULLs', async () => {
    const storable = fc.string({ unit: 'binary' }).filter((candidate) => !candidate.includes('\u0000'));
    const row = fc.tuple(
      fc.oneof(storable, fc.constantFrom('\\N', '\\', '\t\n\r', 'a\\tb')),
      fc.option(fc.integer(), { nil: null }),
      fc.boolean(),
      fc.date({ min: new Date('1900-01-01'), max: new Date('2999-12-31'), noInvalidDate: true }),
      fc.option(fc.dictionary(storable, storable), { nil: null }),
    );
    const rows = fc.sample(row, { numRuns: 2_000, seed: 14 });
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query(`CREATE TEMPORARY TABLE copied (at integer PRIMARY KEY, note text, n integer, flag boolean, moment timestamptz, document jsonb)`);
      await copyRows(runner, 'copied', ['at', 'note', 'n', 'flag', 'moment', 'document'], rows.map((values, at) => [at, ...values]));
      const stored = (await runner.query(`SELECT note, n, flag, moment, document FROM copied ORDER BY at`)) as Array<Record<string, unknown>>;
      expect(stored.map(({ note, n, flag, moment, document }) => [note, n, flag, moment, document])).toEqual(rows);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
  });
});
