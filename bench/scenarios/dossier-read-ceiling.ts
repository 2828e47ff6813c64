import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { dossierStreamId } from '@app/domain';
import { PostgresEventStore } from '@app/event-store/postgres';
import { PersonalDataProtection } from '@app/personal-data';
import type { AppConfig } from '@app/platform';
import { recordWithReadStatement } from '../../apps/api/src/audit/access-log-statements';
import type { Figure } from '../report';
import { summariseLatencies, type LatencySummary } from '../stats';

/**
 * What the store alone takes for a dossier read, timed from the bench on the same PostgreSQL
 * with the service's connection settings (a PostgresEventStore of its own, synchronous_commit as
 * the server has it: on), one request at a time like the query scenario:
 * - `firstRead`: the very statement a dossier read sends when its key is not kept: the stream's
 *   read, the dossier key's read beside it and the access-log record's insert, one statement and
 *   one committed round trip (readStreamWith with recordWithReadStatement, dossierKeyRead);
 * - `keyKept`: the same without the key's read, as a read sends it once the key is kept;
 * - `commit`: a one-row insert into a table of its own, each its own transaction: the commit's
 *   WAL flush and a round trip, nothing read;
 * - `roundTrip`: `SELECT 1`, a round trip that writes nothing.
 * The service's time per answer beyond `firstRead` / `keyKept` is its own (HTTP, guards, the
 * decoding, decryption, the view, JSON) or waiting for a core.
 */
export interface DossierReadCeiling {
  readonly firstRead: LatencySummary;
  readonly keyKept: LatencySummary;
  readonly commit: LatencySummary;
  readonly roundTrip: LatencySummary;
}

const WARM_UP = 3;

export async function dossierReadCeiling(databaseUrl: string, appConfig: AppConfig, dossierIds: readonly string[]): Promise<DossierReadCeiling> {
  const store = await PostgresEventStore.connect(databaseUrl);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  // Keeps no key: dossierKeyRead asks for every dossier's key, as a first read does.
  const keys = PersonalDataProtection.fromConfig(appConfig, { cachedKeys: 0 });
  try {
    const read = async (dossierId: string, withKey: boolean) => {
      const statement = recordWithReadStatement({
        actor: 'bench-ceiling',
        roles: ['staff'],
        method: 'GET',
        path: `/dossiers/${dossierId}`,
        purpose: null,
        dossierIds: [dossierId],
        correlationId: randomUUID(),
      });
      const keyRead = withKey ? keys.dossierKeyRead(dossierId) : undefined;
      if (withKey && !keyRead) throw new Error(`no key read for dossier ${dossierId}`);
      const { events } = await store.readStreamWith!(dossierStreamId(dossierId), statement, keyRead?.query);
      if (events.length === 0) throw new Error(`dossier ${dossierId} has no events`);
    };
    await client.query('CREATE TABLE IF NOT EXISTS bench_commit_ceiling (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())');
    const firstRead = await timed(dossierIds.length, (i) => read(dossierIds[i], true));
    const keyKept = await timed(dossierIds.length, (i) => read(dossierIds[i], false));
    const commit = await timed(dossierIds.length, () => client.query('INSERT INTO bench_commit_ceiling DEFAULT VALUES'));
    const roundTrip = await timed(dossierIds.length, () => client.query('SELECT 1'));
    await client.query('DROP TABLE bench_commit_ceiling');
    return { firstRead, keyKept, commit, roundTrip };
  } finally {
    await client.end();
    await store.close();
  }
}

/** The ceiling's figures, beside a query scenario's single-dossier figures (`scenario`). */
export function dossierReadCeilingFigures(scenario: string, ceiling: DossierReadCeiling): Figure[] {
  const rows: Array<[name: string, summary: LatencySummary]> = [
    ["dossier read ceiling: the store's statement alone (stream, key, access-log record)", ceiling.firstRead],
    ['dossier read ceiling: the same, the key kept', ceiling.keyKept],
    ["dossier read ceiling: a one-row insert's commit", ceiling.commit],
  ];
  return rows.flatMap(([name, summary]) => [
    { scenario, figure: `${name} p50`, value: summary.p50, unit: 'ms' },
    { scenario, figure: `${name} p99`, value: summary.p99, unit: 'ms', note: `${summary.count} statements, one at a time` },
  ]);
}

/** `work(i)` for i in 0..count-1, one at a time, after a few warm-up calls; the latency of each. */
async function timed(count: number, work: (index: number) => Promise<unknown>): Promise<LatencySummary> {
  for (let i = 0; i < Math.min(WARM_UP, count); i++) await work(count - 1 - i);
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await work(i);
    latencies.push(performance.now() - started);
  }
  return summariseLatencies(latencies);
}
