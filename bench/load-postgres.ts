import type { Pool } from 'pg';
import { PERSONAL_DATA_KEYS_TABLE } from '@app/personal-data';
import type { BenchDossier, BenchEventRow } from './dataset';

/** Rows per INSERT statement. */
const CHUNK = 2000;

export interface LoadResult {
  readonly dossiers: number;
  readonly events: number;
  readonly milliseconds: number;
}

export interface LoadOptions {
  /**
   * Dossiers generated, then written together with their events interleaved in recording order
   * (as a live store has them: a batch of the log touches many dossiers), one block at a time.
   */
  readonly blockDossiers: number;
  /** Stop once the store holds this many events (the block in hand is cut there). */
  readonly untilEvents?: number;
  readonly onProgress?: (events: number) => void;
}

/** Orders a block's rows by recording time, each stream's rows staying in version order. */
export function interleave(dossiers: readonly BenchDossier[]): BenchEventRow[] {
  const rows = dossiers.flatMap((dossier) => dossier.rows);
  const order = rows.map((_, index) => index);
  order.sort((a, b) => rows[a].recordedAt - rows[b].recordedAt || a - b);
  return order.map((index) => rows[index]);
}

const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes generated dossiers straight into the PostgreSQL event store's table, with the columns
 * its appends would have given them: each block at one commit position (a transaction of its own
 * that has ended, so above everything before and below every append to come), its events at
 * consecutive positions taken from the store's sequence in recording order; and their keys into
 * personal_data_keys. While PostgreSQL writes one block the next is generated. Meant for a store
 * no service is appending to or reading at the same time: a block's events commit chunk by chunk.
 */
export async function loadIntoPostgres(
  pool: Pool,
  next: () => BenchDossier | undefined,
  options: LoadOptions,
): Promise<LoadResult> {
  const started = Date.now();
  const stored = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM event_store.events');
  const limit = options.untilEvents === undefined ? Infinity : options.untilEvents - Number(stored.rows[0].n);
  let events = 0;
  let dossiers = 0;
  let writing: Promise<void> = Promise.resolve();
  for (let exhausted = false; !exhausted && events < limit; ) {
    const block: BenchDossier[] = [];
    let blockEvents = 0;
    while (block.length < options.blockDossiers && events + blockEvents < limit) {
      const dossier = next();
      if (!dossier) {
        exhausted = true;
        break;
      }
      block.push(dossier);
      blockEvents += dossier.rows.length;
      if (block.length % 500 === 0) await yieldToIo();
    }
    const rows = interleave(block).slice(0, Math.max(0, limit - events));
    events += rows.length;
    dossiers += block.length;
    await writing;
    writing = writeBlock(pool, rows, block);
    options.onProgress?.(events);
  }
  await writing;
  return { dossiers, events, milliseconds: Date.now() - started };
}

interface BlockPlace {
  readonly commit: string;
  readonly firstPosition: bigint;
}

/** A commit position of a transaction that has ended, and `count` positions of the store's sequence. */
async function placeBlock(pool: Pool, count: number): Promise<BlockPlace> {
  const { rows } = await pool.query<{ commit: string; first: string }>(
    `SELECT event_store.commit_position_of(pg_current_xact_id())::text AS commit, nextval('event_store.events_position_seq')::text AS first`,
  );
  const firstPosition = BigInt(rows[0].first);
  await pool.query(`SELECT setval('event_store.events_position_seq', $1)`, [(firstPosition + BigInt(count) - 1n).toString()]);
  return { commit: rows[0].commit, firstPosition };
}

async function writeBlock(pool: Pool, rows: readonly BenchEventRow[], block: readonly BenchDossier[]): Promise<void> {
  const keys = block.filter((dossier) => dossier.wrappedKey !== null);
  for (let start = 0; start < keys.length; start += CHUNK) {
    const chunk = keys.slice(start, start + CHUNK);
    await pool.query(
      `INSERT INTO ${PERSONAL_DATA_KEYS_TABLE} (dossier_id, wrapped_key) SELECT * FROM unnest($1::uuid[], $2::bytea[])
       ON CONFLICT (dossier_id) DO NOTHING`,
      [chunk.map((dossier) => dossier.dossierId), chunk.map((dossier) => dossier.wrappedKey)],
    );
  }
  if (rows.length === 0) return;
  const place = await placeBlock(pool, rows.length);
  const chunks: Promise<unknown>[] = [];
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    chunks.push(
      pool.query(
        `INSERT INTO event_store.events (commit_position, position, event_id, stream_id, version, type, data, metadata, created_at)
         SELECT $9::bigint, $1::bigint + e.ordinal - 1, e.id, e.stream, e.version, e.type, e.data, e.metadata, e.created_at
           FROM unnest($2::uuid[], $3::text[], $4::int[], $5::text[], $6::jsonb[], $7::jsonb[], $8::timestamptz[])
                WITH ORDINALITY AS e(id, stream, version, type, data, metadata, created_at, ordinal)`,
        [
          (place.firstPosition + BigInt(start)).toString(),
          chunk.map((row) => row.eventId),
          chunk.map((row) => row.streamId),
          chunk.map((row) => row.version),
          chunk.map((row) => row.type),
          chunk.map((row) => JSON.stringify(row.data)),
          chunk.map((row) => JSON.stringify(row.metadata)),
          chunk.map((row) => new Date(row.recordedAt).toISOString()),
          place.commit,
        ],
      ),
    );
    // Two statements in flight: PostgreSQL works while the next chunk is serialised.
    if (chunks.length >= 2) await chunks.shift();
  }
  await Promise.all(chunks);
}
