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
  {
    id: 2,
    name: 'append function',
    // The whole append in one statement, so the append lock is held for the server's own work
    // only, not across the client's round trips (see append() in postgres-event-store.ts). Each
    // statement of a volatile function takes a fresh snapshot: after the lock, it sees every
    // append committed before.
    sql: `
      CREATE FUNCTION event_store.append_events(
        p_stream text, p_expected text, p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
      ) RETURNS TABLE (outcome text, stream_version integer, last_position bigint, conflicting_id uuid)
      LANGUAGE plpgsql AS $$
      DECLARE
        n integer := cardinality(p_ids);
        found_ids uuid[];
        found_streams text[];
        found_versions integer[];
        found_last bigint;
        same boolean;
        current_version integer;
        head bigint;
      BEGIN
        PERFORM pg_advisory_xact_lock(7366001);
        -- A retry of an append that already committed: the same ids, in the same stream, in order.
        SELECT array_agg(e.event_id ORDER BY e.position), array_agg(e.stream_id ORDER BY e.position),
               array_agg(e.version ORDER BY e.position), max(e.position)
          INTO found_ids, found_streams, found_versions, found_last
          FROM event_store.events e WHERE e.event_id = ANY(p_ids);
        IF found_ids IS NOT NULL THEN
          same := cardinality(found_ids) = n;
          FOR i IN 1..cardinality(found_ids) LOOP
            EXIT WHEN NOT same;
            same := found_streams[i] = p_stream AND found_ids[i] = p_ids[i] AND found_versions[i] = found_versions[1] + i - 1;
          END LOOP;
          IF same THEN
            RETURN QUERY SELECT 'retried'::text, found_versions[n], found_last, NULL::uuid;
          ELSE
            RETURN QUERY SELECT 'duplicate'::text, NULL::integer, NULL::bigint, found_ids[1];
          END IF;
          RETURN;
        END IF;
        SELECT coalesce(max(e.version), 0) INTO current_version FROM event_store.events e WHERE e.stream_id = p_stream;
        IF NOT (p_expected = 'any'
                OR (p_expected = 'no_stream' AND current_version = 0)
                OR (p_expected = 'stream_exists' AND current_version > 0)
                OR (p_expected ~ '^[0-9]+$' AND current_version = p_expected::integer)) THEN
          RETURN QUERY SELECT 'conflict'::text, current_version, NULL::bigint, NULL::uuid;
          RETURN;
        END IF;
        SELECT coalesce(max(e.position), 0) INTO head FROM event_store.events e;
        INSERT INTO event_store.events (position, event_id, stream_id, version, type, data, metadata)
          SELECT head + e.ordinal, e.id, p_stream, current_version + e.ordinal::integer, e.type, e.data, e.metadata
            FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS e(id, type, data, metadata, ordinal);
        PERFORM pg_notify('event_store_appended', (head + n)::text);
        RETURN QUERY SELECT 'appended'::text, current_version + n, head + n, NULL::uuid;
      END $$;`,
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
