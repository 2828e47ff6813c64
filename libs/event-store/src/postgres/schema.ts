import type { Pool, PoolClient } from 'pg';

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
  {
    id: 3,
    name: 'log ordered by transaction',
    // The log's order becomes (commit_position, position): commit_position is the appending
    // transaction's id (event_store.commit_position_of), position a sequence number within it.
    // Appends no longer share one lock; readers of the whole log stop below the oldest append
    // still in progress (event_store.log_horizon). docs/architecture.md explains why that
    // cannot skip an event. Rows from before keep their position as their commit position, so
    // checkpoints taken before (commit = prepare = position) keep their meaning; anchorCommitPositions
    // below makes new commit positions continue above them.
    sql: `
      CREATE SEQUENCE event_store.events_position_seq OWNED BY event_store.events.position;
      SELECT setval('event_store.events_position_seq', coalesce((SELECT max(position) FROM event_store.events), 0) + 1, false);
      ALTER TABLE event_store.events ALTER COLUMN position SET DEFAULT nextval('event_store.events_position_seq');
      ALTER TABLE event_store.events ADD COLUMN commit_position bigint;
      UPDATE event_store.events SET commit_position = position;
      ALTER TABLE event_store.events ALTER COLUMN commit_position SET NOT NULL;
      CREATE UNIQUE INDEX events_log_order ON event_store.events (commit_position, position);
      DROP FUNCTION event_store.append_events(text, text, uuid[], text[], jsonb[], jsonb[]);

      ${commitPositionFunction(0n)}

      -- The lock that makes appends to one stream take turns; held until commit. Two-key form, so
      -- apart from the one-key advisory locks (7366000 migrations, 7366004 the service's). Two
      -- streams whose names hash alike take turns too, which costs waiting, never correctness.
      CREATE FUNCTION event_store.lock_stream(p_stream text) RETURNS void LANGUAGE sql AS $$
        SELECT pg_advisory_xact_lock(7366001, hashtext(p_stream));
      $$;

      CREATE FUNCTION event_store.append_events(
        p_stream text, p_expected text, p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
      ) RETURNS TABLE (outcome text, stream_version integer, commit_position bigint, last_position bigint, conflicting_id uuid)
      LANGUAGE plpgsql AS $$
      DECLARE
        n integer := cardinality(p_ids);
        found_ids uuid[];
        found_streams text[];
        found_versions integer[];
        found_commit bigint;
        found_last bigint;
        same boolean;
        current_version integer;
        appended_commit bigint;
        appended_last bigint;
      BEGIN
        -- log_horizon tells an append in progress from any other transaction by its stream lock,
        -- so the lock must come before the transaction's id exists: an append is the first write
        -- of its transaction.
        IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
          RAISE EXCEPTION 'event_store.append_events must be the first write of its transaction';
        END IF;
        PERFORM event_store.lock_stream(p_stream);
        -- Each statement below takes a fresh snapshot: after the lock, it sees every append to
        -- this stream committed before.
        -- A retry of an append that already committed: the same ids, in the same stream, in order.
        SELECT array_agg(e.event_id ORDER BY e.version), array_agg(e.stream_id ORDER BY e.version),
               array_agg(e.version ORDER BY e.version), max(e.commit_position), max(e.position)
          INTO found_ids, found_streams, found_versions, found_commit, found_last
          FROM event_store.events e WHERE e.event_id = ANY(p_ids);
        IF found_ids IS NOT NULL THEN
          same := cardinality(found_ids) = n;
          FOR i IN 1..cardinality(found_ids) LOOP
            EXIT WHEN NOT same;
            same := found_streams[i] = p_stream AND found_ids[i] = p_ids[i] AND found_versions[i] = found_versions[1] + i - 1;
          END LOOP;
          IF same THEN
            RETURN QUERY SELECT 'retried'::text, found_versions[n], found_commit, found_last, NULL::uuid;
          ELSE
            RETURN QUERY SELECT 'duplicate'::text, NULL::integer, NULL::bigint, NULL::bigint, found_ids[1];
          END IF;
          RETURN;
        END IF;
        SELECT coalesce(max(e.version), 0) INTO current_version FROM event_store.events e WHERE e.stream_id = p_stream;
        IF NOT (p_expected = 'any'
                OR (p_expected = 'no_stream' AND current_version = 0)
                OR (p_expected = 'stream_exists' AND current_version > 0)
                OR (p_expected ~ '^[0-9]+$' AND current_version = p_expected::integer)) THEN
          RETURN QUERY SELECT 'conflict'::text, current_version, NULL::bigint, NULL::bigint, NULL::uuid;
          RETURN;
        END IF;
        appended_commit := event_store.commit_position_of(pg_current_xact_id());
        WITH inserted AS (
          -- position: the column's default, the next numbers of its sequence, in the events' order.
          INSERT INTO event_store.events (commit_position, event_id, stream_id, version, type, data, metadata)
            SELECT appended_commit, e.id, p_stream, current_version + e.ordinal::integer, e.type, e.data, e.metadata
              FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS e(id, type, data, metadata, ordinal)
          RETURNING position)
        SELECT max(position) INTO appended_last FROM inserted;
        RETURN QUERY SELECT 'appended'::text, current_version + n, appended_commit, appended_last, NULL::uuid;
      END $$;

      -- How far a reader of the whole log may read: the commit position below which no event can
      -- still appear. Events become visible when their transaction commits, in any order; an
      -- append still in progress will commit at its own transaction's position, which may be
      -- below events already visible. So the horizon is the lowest transaction id among appends
      -- in progress, read from the snapshot's in-progress list (pg_current_snapshot) and the
      -- stream locks that mark appends (pg_locks, read once, after the snapshot was taken):
      -- - an id in progress for the snapshot that holds a stream lock of this database: an append;
      -- - an id in progress for the snapshot that is no longer in progress when the locks are read:
      --   it may have been an append, so it counts too;
      -- - any other id still in progress is not an append and never will be (an append is the
      --   first write of its transaction), whatever it does (a projection's batch, another
      --   database's work): it does not hold readers back;
      -- - a transaction that gets its id after the snapshot gets a higher one than every event
      --   the snapshot shows.
      -- STABLE: it runs in its caller's snapshot, the one its caller reads the events with.
      CREATE FUNCTION event_store.log_horizon(OUT horizon bigint, OUT last_commit bigint) LANGUAGE sql STABLE AS $$
        WITH snapshot AS (SELECT pg_current_snapshot() AS s),
        visible AS (
          SELECT (SELECT max(e.commit_position) FROM event_store.events e) AS last_commit,
                 event_store.commit_position_of(pg_snapshot_xmin(snapshot.s)) AS below_all
            FROM snapshot),
        -- Read only when something visible lies at or above the oldest transaction in progress.
        locks AS MATERIALIZED (
          SELECT l.pid, l.locktype, l.transactionid, l.database, l.classid, l.objsubid
            FROM pg_locks l WHERE l.locktype IN ('transactionid', 'advisory')),
        others AS (
          SELECT t.transactionid FROM locks t
           WHERE t.locktype = 'transactionid' AND t.pid IS NOT NULL
             AND NOT EXISTS (
               SELECT 1 FROM locks a
                WHERE a.locktype = 'advisory' AND a.pid = t.pid AND a.classid = 7366001 AND a.objsubid = 2
                  AND a.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())))
        SELECT CASE
                 WHEN v.last_commit IS NULL OR v.last_commit < v.below_all THEN v.below_all
                 ELSE event_store.commit_position_of(least(
                   pg_snapshot_xmax(snapshot.s),
                   (SELECT min(x) FROM pg_snapshot_xip(snapshot.s) AS x
                     WHERE NOT EXISTS (SELECT 1 FROM others o WHERE o.transactionid = (x::text::bigint % 4294967296)::text::xid))))
               END,
               v.last_commit
          FROM snapshot, visible v;
      $$;

      -- Wakes the followers (LISTEN event_store_appended) after appends have committed. Its own
      -- small transaction: a NOTIFY takes a lock on the whole cluster until its transaction's
      -- commit is flushed, which inside an append would make every append wait for the others'
      -- flushes again. Nothing here needs to be durable, so its commit does not wait for the disk.
      CREATE FUNCTION event_store.notify_appended() RETURNS void LANGUAGE sql AS $$
        SELECT set_config('synchronous_commit', 'off', true);
        SELECT pg_notify('event_store_appended', '');
      $$;`,
  },
];

const MIGRATION_LOCK_KEY = 7_366_000;

/**
 * event_store.commit_position_of: a transaction's place in the log, its id plus a constant. The
 * constant is 0 on a store created with migration 3; anchorCommitPositions raises it where the
 * transaction ids are lower than commit positions already in the log (a store from before
 * migration 3, whose events' commit positions are their old positions; a store restored into
 * a younger PostgreSQL cluster). IMMUTABLE, so a reader's horizon costs nothing to convert.
 */
function commitPositionFunction(offset: bigint): string {
  return `CREATE OR REPLACE FUNCTION event_store.commit_position_of(p_transaction xid8) RETURNS bigint
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT p_transaction::text::bigint + (${offset.toString()}) $$;`;
}

/**
 * New commit positions must lie above every one in the log, or a reader whose checkpoint is at
 * the end of the log would never read them. Any transaction id assigned from now on is at least
 * the current snapshot's xmax.
 */
async function anchorCommitPositions(client: PoolClient): Promise<void> {
  const { rows } = await client.query<{ xmax: string; next: string; last: string | null }>(
    `SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax,
            event_store.commit_position_of(pg_snapshot_xmax(pg_current_snapshot()))::text AS next,
            (SELECT max(commit_position) FROM event_store.events)::text AS last`,
  );
  const [{ xmax, next, last }] = rows;
  if (last === null || BigInt(next) > BigInt(last)) return;
  await client.query(commitPositionFunction(BigInt(last) - BigInt(xmax) + 1n));
}

/** `through`: the last migration to apply (tests that start from a store of an earlier version). */
export async function migrateEventStoreSchema(pool: Pool, options: { through?: number } = {}): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query('CREATE SCHEMA IF NOT EXISTS event_store');
    await client.query(`CREATE TABLE IF NOT EXISTS event_store.schema_migrations (
      id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ id: number }>('SELECT id FROM event_store.schema_migrations');
    const applied = new Set(rows.map((row) => row.id));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.id) || migration.id > (options.through ?? Infinity)) continue;
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
    if (options.through === undefined) await anchorCommitPositions(client);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}
