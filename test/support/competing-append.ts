import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Response } from 'supertest';

/**
 * The transaction-scoped advisory lock every append of the PostgreSQL event store takes
 * (APPEND_LOCK_KEY in libs/event-store/src/postgres/postgres-event-store.ts, not exported).
 */
const APPEND_LOCK_KEY = 7_366_001;

export interface CompetingEvent {
  readonly type: string;
  /** Must carry `on`, the business date. */
  readonly data: Record<string, unknown>;
}

/**
 * Another process appending to a dossier between the service's read and its append, made
 * deterministic: holds the store's append lock, sends the request, waits until the service's
 * append queues behind the lock, writes the competing event as the next version of the stream,
 * and lets go. Returns the service's response. PostgreSQL store only.
 */
export async function withCompetingAppend(
  databaseUrl: string,
  dossierId: string,
  competing: CompetingEvent,
  send: () => PromiseLike<Response>,
): Promise<Response> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK_KEY]);
    const pending = Promise.resolve(send()); // supertest sends once then() is called
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1`,
        [APPEND_LOCK_KEY],
      );
      if (rows[0].n > 0) break;
      if (Date.now() > deadline) throw new Error('the service never tried to append');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const stream = `dossier-${dossierId}`;
    await client.query(
      `INSERT INTO event_store.events (position, event_id, stream_id, version, type, data, metadata)
       SELECT coalesce((SELECT max(position) FROM event_store.events), 0) + 1, $1, $2,
              (SELECT coalesce(max(version), 0) + 1 FROM event_store.events WHERE stream_id = $2), $3, $4, $5`,
      [
        randomUUID(),
        stream,
        competing.type,
        JSON.stringify(competing.data),
        JSON.stringify({
          schemaVersion: 1,
          occurredOn: competing.data.on,
          recordedAt: new Date().toISOString(),
          actor: 'other-process',
          correlationId: randomUUID(),
          causationId: randomUUID(),
        }),
      ],
    );
    await client.query('COMMIT');
    return await pending;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
