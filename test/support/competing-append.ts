import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Response } from 'supertest';
import { DOSSIER_STREAM_PREFIX, dossierEventMetadata, type DossierEvent } from '@app/domain';

/** What the other process appends: a dossier event, stored with the domain's envelope. */
export type CompetingEvent = DossierEvent;

/**
 * Another process appending to a dossier between the service's read and its append, made
 * deterministic: takes the stream's append lock (event_store.lock_stream, which every append to
 * the stream takes), sends the request, waits until the service's append queues behind that
 * lock, appends the competing event as the next version of the stream through the store's own
 * event_store.append_events, and lets go. Returns the service's response. PostgreSQL store only.
 */
export async function withCompetingAppend(
  databaseUrl: string,
  dossierId: string,
  competing: CompetingEvent,
  send: () => PromiseLike<Response>,
): Promise<Response> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const stream = `${DOSSIER_STREAM_PREFIX}${dossierId}`;
  try {
    await client.query('BEGIN');
    await client.query('SELECT event_store.lock_stream($1)', [stream]);
    const pending = Promise.resolve(send()); // supertest sends once then() is called
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await client.query<{ waiting: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))) AS waiting',
      );
      if (rows[0].waiting) break;
      if (Date.now() > deadline) throw new Error('the service never tried to append');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const metadata = dossierEventMetadata(competing, {
      recordedAt: new Date().toISOString(),
      actor: 'other-process',
      correlationId: randomUUID(),
      causationId: randomUUID(),
    });
    await client.query(`SELECT outcome FROM event_store.append_events($1, 'any', $2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[])`, [
      stream,
      [randomUUID()],
      [competing.type],
      [JSON.stringify(competing.data)],
      [JSON.stringify(metadata)],
    ]);
    await client.query('COMMIT');
    return await pending;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
