import type { Pool } from 'pg';

type Counters = Record<string, number>;

/** A view's numeric columns (bigint and numeric come as text), the rest left out. */
function numericColumns(row: Record<string, unknown>): Counters {
  const counters: Counters = {};
  for (const [column, value] of Object.entries(row)) {
    if (typeof value === 'number') counters[column] = value;
    else if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) counters[column] = Number(value);
  }
  return counters;
}

/** `after` less `before`, column by column, rounded to a thousandth; columns unchanged left out. */
export function counterChanges(before: Counters, after: Counters): Counters {
  const changes: Counters = {};
  for (const [column, value] of Object.entries(after)) {
    const change = Math.round((value - (before[column] ?? 0)) * 1000) / 1000;
    if (change !== 0) changes[column] = change;
  }
  return changes;
}

export interface ActivitySnapshot {
  /** pg_stat_wal, pg_stat_checkpointer (PostgreSQL 17 on), pg_stat_bgwriter, and pg_stat_io (16 on) by kind of process: the server's counters. */
  readonly server: Record<string, Counters>;
  /** pg_stat_user_tables of the database, by schema-qualified table. */
  readonly tables: Record<string, Counters>;
}

export interface ActivityChanges {
  readonly server: Record<string, Counters>;
  /** The tables whose counters moved, with those that moved (inserts, autovacuums and autoanalyzes, their times on PostgreSQL 18). */
  readonly tables: Record<string, Counters>;
}

export function activityChanges(before: ActivitySnapshot, after: ActivitySnapshot): ActivityChanges {
  const server: Record<string, Counters> = {};
  for (const [view, counters] of Object.entries(after.server)) server[view] = counterChanges(before.server[view] ?? {}, counters);
  const tables: Record<string, Counters> = {};
  for (const [table, counters] of Object.entries(after.tables)) {
    const changes = counterChanges(before.tables[table] ?? {}, counters);
    // Live and dead tuples, and those since the last vacuum or analyze, are states, not counters: a
    // table whose only change is in them was not written in the stretch.
    if (Object.keys(changes).some((column) => column !== 'n_live_tup' && column !== 'n_dead_tup' && column !== 'n_mod_since_analyze' && column !== 'n_ins_since_vacuum')) {
      tables[table] = changes;
    }
  }
  return { server, tables };
}

const SERVER_VIEWS = ['pg_stat_wal', 'pg_stat_checkpointer', 'pg_stat_bgwriter'];
/** PostgreSQL's PGSTAT_IDLE_INTERVAL (10 s) and a second more. */
const IDLE_REPORT_MS = 11_000;

/**
 * What PostgreSQL's background work did, from its statistics views: WAL written, checkpoints,
 * the background writer's and each table's inserts, vacuums and analyzes. Counters only: a
 * stretch's figures are `activityChanges` of two snapshots.
 */
export async function activitySnapshot(pool: Pool, options: { afterIdleReports?: boolean } = {}): Promise<ActivitySnapshot> {
  // A backend reports what it counted at a transaction's end at most once a second; one that has
  // gone idle with counts not yet reported does so after 10 s (PGSTAT_IDLE_INTERVAL): the last
  // flush's WAL and inserts would be missing from a snapshot taken at once.
  if (options.afterIdleReports) await new Promise((resolve) => setTimeout(resolve, IDLE_REPORT_MS));
  await pool.query('SELECT pg_stat_clear_snapshot()');
  const server: Record<string, Counters> = {};
  for (const view of SERVER_VIEWS) {
    const { rows: exists } = await pool.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [view]);
    if (!exists[0].found) continue;
    const { rows } = await pool.query<Record<string, unknown>>(`SELECT * FROM ${view}`);
    server[view] = numericColumns(rows[0]);
  }
  const { rows: io } = await pool.query<{ found: boolean }>("SELECT to_regclass('pg_stat_io') IS NOT NULL AS found");
  if (io[0].found) {
    // Reads, writes, extends, fsyncs (and their bytes and times where counted) of each kind of process, all objects and contexts summed.
    const { rows } = await pool.query<Record<string, unknown>>('SELECT * FROM pg_stat_io');
    for (const row of rows) {
      const counters = (server[`pg_stat_io: ${String(row.backend_type)}`] ??= {});
      for (const [column, value] of Object.entries(numericColumns(row))) counters[column] = (counters[column] ?? 0) + value;
    }
  }
  const { rows } = await pool.query<Record<string, unknown>>('SELECT * FROM pg_stat_user_tables');
  const tables: Record<string, Counters> = {};
  for (const row of rows) {
    const { relid: _relid, ...counters } = numericColumns(row);
    tables[`${String(row.schemaname)}.${String(row.relname)}`] = counters;
  }
  return { server, tables };
}
