import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { StatementWithAppend } from '@app/event-store';
import { IdempotencyRecord } from '@app/persistence';

/** How long a first run may take before a retry may take it over (it is presumed dead). */
const LEASE_SECONDS = 30;

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'in-progress' }
  | { kind: 'mismatch' }
  | { kind: 'completed'; status: number; headers: Record<string, string>; body: unknown };

@Injectable()
export class IdempotencyStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Atomically: a new key is claimed; an expired claim is taken over; otherwise says what it is. */
  async claim(actor: string, key: string, fingerprint: string): Promise<Claim> {
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO idempotency_keys (actor, key, fingerprint, state, lease_until)
       VALUES ($1, $2, $3, 'in-progress', now() + make_interval(secs => $4))
       ON CONFLICT (actor, key) DO NOTHING RETURNING key`,
      [actor, key, fingerprint, LEASE_SECONDS],
    );
    if (inserted.length > 0) return { kind: 'claimed' };

    const record = await this.dataSource.getRepository(IdempotencyRecord).findOneBy({ actor, key });
    if (!record) return this.claim(actor, key, fingerprint);
    if (record.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (record.state === 'completed') {
      return { kind: 'completed', status: record.responseStatus!, headers: record.responseHeaders ?? {}, body: record.responseBody };
    }
    const [, takenOver] = (await this.dataSource.query(
      `UPDATE idempotency_keys SET lease_until = now() + make_interval(secs => $3)
        WHERE actor = $1 AND key = $2 AND state = 'in-progress' AND lease_until < now()`,
      [actor, key, LEASE_SECONDS],
    )) as [unknown, number];
    return takenOver > 0 ? { kind: 'claimed' } : { kind: 'in-progress' };
  }

  async complete(actor: string, key: string, status: number, headers: Record<string, string>, body: unknown): Promise<void> {
    await this.dataSource.query(
      `UPDATE idempotency_keys
          SET state = 'completed', response_status = $3, response_headers = $4, response_body = $5
        WHERE actor = $1 AND key = $2`,
      [actor, key, status, JSON.stringify(headers), JSON.stringify(body ?? null)],
    );
  }

  /**
   * complete() for a command's answer (keptCommandAnswer), as a statement written with the
   * command's append (StatementWithAppend), the version taken from the append. The answer is
   * stated twice (SQL here, TypeScript there for the EventStoreDB path): idempotency.store.spec.ts
   * holds the two equal.
   */
  commandAnswerWithAppend(actor: string, key: string, dossierId: string, location: string | undefined): StatementWithAppend {
    return {
      sql: `UPDATE idempotency_keys
               SET state = 'completed', response_status = 201,
                   response_headers = jsonb_build_object('etag', '"' || a.stream_version || '"') || $4::jsonb,
                   response_body = jsonb_build_object('dossierId', $3::text, 'version', a.stream_version)
              FROM appended_ok a
             WHERE actor = $1 AND key = $2`,
      parameters: [actor, key, dossierId, JSON.stringify(location === undefined ? {} : { location })],
    };
  }

  /** The run failed on our side: forget it so the client can retry with the same key. */
  async release(actor: string, key: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM idempotency_keys WHERE actor = $1 AND key = $2 AND state = 'in-progress'`, [
      actor,
      key,
    ]);
  }
}

/** What a command endpoint answers (command-endpoint.ts): 201, its ETag, the dossier's Location for a registration. */
export function keptCommandAnswer(dossierId: string, version: number, location: string | undefined): KeptAnswer {
  return { status: 201, headers: { etag: `"${version}"`, ...(location === undefined ? {} : { location }) }, body: { dossierId, version } };
}

export interface KeptAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}
