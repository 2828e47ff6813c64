import type { Pool } from 'pg';

/**
 * The PostgreSQL event store owns the `event_store` schema. Its migrations are kept here, inside
 * the adapter, so the store can be used without the rest of the application; they are applied in
 * order, once each, under an advisory lock so that several processes starting together agree.
 */
const MIGRATIONS: ReadonlyArray<{ id: number; name: string; sql: string }> = [
  {
    id: 1,
    name: 'events table',
    sql: `
      CREATE TABLE event_store.events (
        position   bigint      PRIMARY KEY,
        event_id   uuid        NOT NULL UNIQUE,
        stream_id  text        NOT NULL,
        version    integer     NOT NULL CHECK (version >= 1),
        type       text        NOT NULL,
        data       jsonb       NOT NULL,
        metadata   jsonb       NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT events_stream_version_unique UNIQUE (stream_id, version)
      );`,
  },
];

const MIGRATION_LOCK_KEY = 7_366_000;

export async function migrateEventStoreSchema(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query('CREATE SCHEMA IF NOT EXISTS event_store');
    await client.query(`CREATE TABLE IF NOT EXISTS event_store.schema_migrations (
      id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ id: number }>('SELECT id FROM event_store.schema_migrations');
    const applied = new Set(rows.map((row) => row.id));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO event_store.schema_migrations (id, name) VALUES ($1, $2)', [
          migration.id,
          migration.name,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}
