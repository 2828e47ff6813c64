import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { Client, type ClientConfig } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * Which instance runs which projection: a PostgreSQL session-level advisory lock per projection,
 * held on a connection of its own for as long as an instance runs it. PostgreSQL releases a
 * session's locks when its connection closes, so when a process dies (even SIGKILL) its locks go
 * with it and an instance on standby takes over from the checkpoint.
 *
 * Key space: the two-key form `pg_advisory_lock(int4, int4)`, which PostgreSQL keeps apart from
 * the one-key (bigint) form of the migration locks (7_366_000 the event store's, 7_366_004 the
 * service's): in pg_locks the two-key form has objsubid 2, the one-key form 1.
 * - classid 7_366_001: the PostgreSQL event store's appends to a stream (objid = hashtext(stream));
 * - classid 7_366_002: running projection `name` (objid = projectionLockId(name));
 * - classid 7_366_003: rebuilding projection `name` (a rebuild runs in one instance at a time).
 * Advisory locks are per database, so installations sharing a server do not see each other's.
 */
export const PROJECTION_LOCK_SPACE = 7_366_002;
export const REBUILD_LOCK_SPACE = 7_366_003;

export interface AdvisoryKey {
  readonly space: number;
  readonly id: number;
}

/** A projection name as a non-negative 32-bit number: the first four bytes of its SHA-256. */
export function projectionLockId(name: string): number {
  return createHash('sha256').update(name).digest().readUInt32BE(0) & 0x7fffffff;
}

export const projectionLockKey = (name: string): AdvisoryKey => ({ space: PROJECTION_LOCK_SPACE, id: projectionLockId(name) });
export const rebuildLockKey = (name: string): AdvisoryKey => ({ space: REBUILD_LOCK_SPACE, id: projectionLockId(name) });

/** How this process is named as the owner of a projection: host:pid. */
export const defaultInstanceName = (): string => `${hostname()}:${process.pid}`;

/** Connection settings of a TypeORM PostgreSQL data source, for a connection outside its pool. */
export function clientConfigOf(dataSource: DataSource): ClientConfig {
  const options = dataSource.options as {
    url?: string;
    host?: string;
    port?: number;
    username?: string;
    password?: string | (() => string | Promise<string>);
    database?: string;
    ssl?: ClientConfig['ssl'];
  };
  const config: ClientConfig = {
    connectionString: options.url,
    host: options.host,
    port: options.port,
    user: options.username,
    password: options.password,
    database: options.database,
    ssl: options.ssl,
  };
  return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined)) as ClientConfig;
}

/** Locks of both spaces granted to some session of this database, as `${space}:${id}`. */
export async function grantedLocks(dataSource: DataSource): Promise<Set<string>> {
  const rows = (await dataSource.query(
    `SELECT classid::bigint::text AS space, objid::bigint::text AS id FROM pg_locks
      WHERE locktype = 'advisory' AND objsubid = 2 AND granted AND classid::bigint IN ($1, $2)
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [PROJECTION_LOCK_SPACE, REBUILD_LOCK_SPACE],
  )) as Array<{ space: string; id: string }>;
  return new Set(rows.map((row) => `${row.space}:${row.id}`));
}

export const lockName = (key: AdvisoryKey) => `${key.space}:${key.id}`;

/** How long a query on the lock's connection may take before the lock counts as lost. */
const LOCK_QUERY_TIMEOUT_MS = 10_000;

/**
 * One advisory lock on a connection of its own (outside the data source's pool). `tryAcquire`
 * never waits for another holder. While held, the connection is checked every `heartbeatMs`;
 * when it breaks or stops answering, the lock counts as lost (PostgreSQL has released it, or
 * will once it notices) and `onLost` is called once. The connection stays open between attempts.
 */
export class SessionLock {
  private client: Client | undefined;
  private holding = false;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly clientConfig: ClientConfig,
    readonly key: AdvisoryKey,
    private readonly heartbeatMs: number,
    private readonly onLost: (reason: Error) => void = () => undefined,
  ) {}

  get held(): boolean {
    return this.holding;
  }

  /** True when this session holds the lock now; false when another session does. Throws when PostgreSQL cannot be reached. */
  async tryAcquire(): Promise<boolean> {
    if (this.holding) return true;
    const client = await this.connection();
    try {
      const [row] = (await client.query('SELECT pg_try_advisory_lock($1, $2) AS got', [this.key.space, this.key.id])).rows as Array<{
        got: boolean;
      }>;
      if (!row.got) return false;
    } catch (error) {
      this.drop(client);
      throw error;
    }
    this.holding = true;
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((error: Error) => this.lose(client, error));
    }, this.heartbeatMs);
    this.heartbeat.unref();
    return true;
  }

  /** Lets go of the lock (if held) and closes the connection. */
  async release(): Promise<void> {
    const client = this.client;
    const wasHolding = this.holding;
    this.forget();
    if (!client) return;
    if (wasHolding) await client.query('SELECT pg_advisory_unlock($1, $2)', [this.key.space, this.key.id]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  private async connection(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({
      ...this.clientConfig,
      application_name: `projection-lock ${lockName(this.key)}`,
      keepAlive: true,
      connectionTimeoutMillis: LOCK_QUERY_TIMEOUT_MS,
      query_timeout: LOCK_QUERY_TIMEOUT_MS,
    });
    client.on('error', (error: Error) => this.lose(client, error));
    client.on('end', () => this.lose(client, new Error('the lock connection closed')));
    this.client = client;
    try {
      await client.connect();
    } catch (error) {
      this.drop(client);
      throw error;
    }
    return client;
  }

  /** The connection failed: gone is the lock, if it was held. */
  private lose(client: Client, reason: Error): void {
    if (client !== this.client) return;
    const wasHolding = this.holding;
    this.drop(client);
    if (wasHolding) this.onLost(reason);
  }

  private drop(client: Client): void {
    if (client === this.client) this.forget();
    client.end().catch(() => undefined);
  }

  private forget(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.holding = false;
    this.client = undefined;
  }
}
