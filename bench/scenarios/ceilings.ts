import { Pool } from 'pg';
import type { LogPosition } from '@app/event-store';
import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { perSecond, round, summariseLatencies, type LatencySummary } from '../stats';

export interface CeilingResult {
  readonly rows: number;
  readonly milliseconds: number;
  readonly rowsPerSecond: number;
  readonly latency: LatencySummary;
}

/** Runs `work(i)` for i in 0..count-1, `concurrency` at a time; the latency of each. */
export async function atConcurrency(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<CeilingResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        const begun = performance.now();
        await work(index);
        latencies.push(performance.now() - begun);
      }
    }),
  );
  const milliseconds = performance.now() - started;
  return { rows: count, milliseconds: round(milliseconds), rowsPerSecond: round(perSecond(count, milliseconds), 1), latency: summariseLatencies(latencies) };
}

interface StoredRow {
  position: string;
  commit_position: string;
  event_id: string;
  stream_id: string;
  version: number;
  type: string;
  data: unknown;
  metadata: unknown;
  created_at: Date;
}

/**
 * Ceiling of the command scenario on PostgreSQL: the event rows the commands wrote (log
 * positions after `after` up to `upTo`), inserted again one transaction each, `concurrency` at a time,
 * through plain `pg`, into an empty copy of the events table (same columns, keys and indexes).
 * No lock, no version check, no HTTP: what the database itself takes.
 */
export async function postgresInsertCeiling(databaseUrl: string, after: LogPosition, upTo: LogPosition, concurrency: number): Promise<CeilingResult> {
  const pool = new Pool({ connectionString: databaseUrl, max: concurrency });
  pool.on('error', () => undefined);
  try {
    const { rows } = await pool.query<StoredRow>(
      `SELECT position::text, commit_position::text, event_id, stream_id, version, type, data, metadata, created_at FROM event_store.events
        WHERE (commit_position, position) > ($1, $2) AND (commit_position, position) <= ($3, $4) ORDER BY commit_position, position`,
      [after.commit.toString(), after.prepare.toString(), upTo.commit.toString(), upTo.prepare.toString()],
    );
    await pool.query('DROP SCHEMA IF EXISTS bench_ceiling CASCADE');
    await pool.query('CREATE SCHEMA bench_ceiling');
    await pool.query('CREATE TABLE bench_ceiling.events (LIKE event_store.events INCLUDING ALL)');
    // Every connection open before the clock starts, as the service's pool is.
    await Promise.all(Array.from({ length: concurrency }, () => pool.query('SELECT 1')));
    const result = await atConcurrency(rows.length, concurrency, async (index) => {
      const row = rows[index];
      await pool.query(
        `INSERT INTO bench_ceiling.events (position, commit_position, event_id, stream_id, version, type, data, metadata, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [row.position, row.commit_position, row.event_id, row.stream_id, row.version, row.type, JSON.stringify(row.data), JSON.stringify(row.metadata), row.created_at],
      );
    });
    await pool.query('DROP SCHEMA bench_ceiling CASCADE');
    return result;
  } finally {
    await pool.end();
  }
}

export interface EsdbRowToAppend {
  readonly streamId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
}

/**
 * Ceiling of the command scenario on the EventStoreDB test server: the same events appended
 * again one append each, `concurrency` at a time, through the plain client (no expected version,
 * streams renamed so nothing conflicts).
 */
export async function esdbAppendCeiling(client: EventStoreDBClient, rows: readonly EsdbRowToAppend[], concurrency: number): Promise<CeilingResult> {
  return atConcurrency(rows.length, concurrency, async (index) => {
    const row = rows[index];
    await client.appendToStream(
      `ceiling-${row.streamId}`,
      jsonEvent({ type: row.type, data: row.data as Record<string, unknown>, metadata: row.metadata as Record<string, unknown> }),
    );
  });
}
