import type { Pool } from 'pg';

export interface StatementTime {
  readonly query: string;
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
  /** The slowest call: where a p99 far above the p50 may have waited in PostgreSQL. */
  readonly maxMs: number;
  /** The WAL its calls wrote (MiB): what the WAL writer, the checkpoints and the backends' own WAL inserts carry for it. */
  readonly walMiB: number;
}

export interface StatementBreakdown {
  /** Execution time of every statement of the database, summed (on all connections). */
  readonly totalMs: number;
  readonly calls: number;
  /** WAL written by every statement of the database (MiB). */
  readonly walMiB: number;
  readonly top: readonly StatementTime[];
}

/**
 * Where PostgreSQL's time goes, from pg_stat_statements (loaded by the bench's PostgreSQL):
 * reset at the start of a stretch, read at its end, for one database.
 */
export class StatementStats {
  constructor(private readonly pool: Pool) {}

  async install(): Promise<void> {
    await this.pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  }

  async reset(): Promise<void> {
    await this.pool.query('SELECT pg_stat_statements_reset()');
  }

  async read(top = 6): Promise<StatementBreakdown> {
    const { rows } = await this.pool.query<{ query: string; calls: string; total: number; max: number; wal: string }>(
      `SELECT query, calls::text, total_exec_time AS total, max_exec_time AS max, wal_bytes::text AS wal FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query NOT LIKE '%pg_stat_statements%'
        ORDER BY total_exec_time DESC`,
    );
    const totalMs = rows.reduce((sum, row) => sum + row.total, 0);
    const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    return {
      totalMs: Math.round(totalMs),
      calls: rows.reduce((sum, row) => sum + Number(row.calls), 0),
      walMiB: mib(rows.reduce((sum, row) => sum + Number(row.wal), 0)),
      top: rows.slice(0, top).map((row) => ({
        query: row.query.replace(/\s+/g, ' ').slice(0, 200),
        calls: Number(row.calls),
        totalMs: Math.round(row.total),
        meanMs: Math.round((row.total / Math.max(1, Number(row.calls))) * 1000) / 1000,
        maxMs: Math.round(row.max * 1000) / 1000,
        walMiB: mib(Number(row.wal)),
      })),
    };
  }
}
