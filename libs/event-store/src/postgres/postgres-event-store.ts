import { Client, Pool } from 'pg';
import {
  assertStorableEvents,
  DuplicateEventIdError,
  EventStoreUnavailableError,
  START_OF_LOG,
  WrongExpectedVersionError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedVersion,
  type JsonObject,
  type LogPosition,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from '../event-store.port';
import { isPostgresConnectionError } from '@app/platform/postgres-errors';
import { migrateEventStoreSchema } from './schema';

const APPENDED_CHANNEL = 'event_store_appended';
/*
 * Every append takes the transaction-scoped advisory lock 7_366_001 (inside
 * event_store.append_events, schema.ts) before it assigns global positions, so positions are
 * handed out in commit order: PostgreSQL makes a transaction visible before it releases its
 * locks, so whoever sees position n also sees every position below n. A reader of "all" that
 * moves its checkpoint past n therefore never skips an event that commits later with a lower
 * position. The price is that appends are serialised (see docs/architecture.md).
 */
const DEFAULT_PAGE = 500;
const IDLE_POLL_MS = 1000;

interface EventRow {
  position: string;
  event_id: string;
  stream_id: string;
  version: number;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
  created_at: Date;
}

const COLUMNS = 'position, event_id, stream_id, version, type, data, metadata, created_at';

function toRecordedEvent(row: EventRow): RecordedEvent {
  const position = BigInt(row.position);
  return {
    id: row.event_id,
    streamId: row.stream_id,
    version: row.version,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    position: { commit: position, prepare: position },
    createdAt: row.created_at,
  };
}

/** Connection-level failures become the port's "unavailable"; everything else passes through. */
export function mapPostgresError(error: unknown): unknown {
  if (error instanceof WrongExpectedVersionError || error instanceof DuplicateEventIdError) return error;
  if (!isPostgresConnectionError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EventStoreUnavailableError(`PostgreSQL event store unavailable: ${message}`, error);
}

function positionNumber(position: LogPosition | undefined): bigint {
  return position ? position.commit : 0n;
}

function prefixCondition(prefixes: readonly string[] | undefined, params: unknown[]): string {
  if (!prefixes || prefixes.length === 0) return '';
  const likes = prefixes.map((prefix) => {
    params.push(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    return `stream_id LIKE $${params.length}`;
  });
  return ` AND (${likes.join(' OR ')})`;
}

export interface PostgresEventStoreOptions {
  /** Events per page for readAll/subscribe when the caller does not say. */
  readonly pageSize?: number;
}

export class PostgresEventStore implements EventStore {
  private readonly pageSize: number;

  private constructor(
    private readonly pool: Pool,
    private readonly connectionString: string,
    private readonly ownsPool: boolean,
    options: PostgresEventStoreOptions,
  ) {
    this.pageSize = options.pageSize ?? DEFAULT_PAGE;
  }

  /** Connects, creates or upgrades the `event_store` schema, and returns the store. */
  static async connect(connectionString: string, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    const pool = new Pool({ connectionString, max: 10 });
    // An idle client that loses its server must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    try {
      await migrateEventStoreSchema(pool);
    } catch (error) {
      await pool.end();
      throw mapPostgresError(error);
    }
    return new PostgresEventStore(pool, connectionString, true, options);
  }

  /**
   * One statement, event_store.append_events (schema.ts): under the append lock it recognises a
   * retry of a committed append, checks the expected version, assigns the next positions,
   * inserts and notifies, and the statement's commit releases the lock. Holding the lock only for
   * the server's own work matters: across client round trips it was held for as long as a busy
   * process took to send the next statement, and every other append waited for that.
   */
  async append(streamId: string, events: readonly EventToAppend[], expected: ExpectedVersion): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    assertStorableEvents(streamId, events);
    let rows: Array<{ outcome: string; stream_version: number | null; last_position: string | null; conflicting_id: string | null }>;
    try {
      ({ rows } = await this.pool.query(
        `SELECT outcome, stream_version, last_position::text, conflicting_id::text
           FROM event_store.append_events($1, $2, $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[])`,
        [
          streamId,
          String(expected),
          events.map((e) => e.id),
          events.map((e) => e.type),
          events.map((e) => JSON.stringify(e.data)),
          events.map((e) => JSON.stringify(e.metadata)),
        ],
      ));
    } catch (error) {
      throw mapPostgresError(error);
    }
    const [result] = rows;
    switch (result.outcome) {
      case 'duplicate':
        throw new DuplicateEventIdError(streamId, result.conflicting_id!);
      case 'conflict':
        throw new WrongExpectedVersionError(streamId, expected, result.stream_version!);
      default: {
        const position = BigInt(result.last_position!);
        return { nextExpectedVersion: result.stream_version!, position: { commit: position, prepare: position } };
      }
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const params: unknown[] = [streamId, options.fromVersion ?? 1];
    let sql = `SELECT ${COLUMNS} FROM event_store.events WHERE stream_id = $1 AND version >= $2 ORDER BY version`;
    if (options.maxCount !== undefined) {
      params.push(options.maxCount);
      sql += ` LIMIT $${params.length}`;
    }
    try {
      const { rows } = await this.pool.query<EventRow>(sql, params);
      return rows.map(toRecordedEvent);
    } catch (error) {
      throw mapPostgresError(error);
    }
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.readAllWith(this.pool, options);
  }

  private async readAllWith(queryable: Pool | Client, options: ReadAllOptions): Promise<RecordedEvent[]> {
    const params: unknown[] = [positionNumber(options.after).toString()];
    const filter = prefixCondition(options.streamPrefixes, params);
    params.push(options.maxCount ?? this.pageSize);
    const sql = `SELECT ${COLUMNS} FROM event_store.events WHERE position > $1${filter} ORDER BY position LIMIT $${params.length}`;
    try {
      const { rows } = await queryable.query<EventRow>(sql, params);
      return rows.map(toRecordedEvent);
    } catch (error) {
      throw mapPostgresError(error);
    }
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    return new PostgresAllSubscription(this.connectionString, options, this.pageSize, (client, readOptions) =>
      this.readAllWith(client, readOptions),
    );
  }

  async headPosition(): Promise<LogPosition> {
    try {
      const { rows } = await this.pool.query<{ position: string | null }>(
        'SELECT max(position)::text AS position FROM event_store.events',
      );
      if (rows[0].position === null) return START_OF_LOG;
      const position = BigInt(rows[0].position);
      return { commit: position, prepare: position };
    } catch (error) {
      throw mapPostgresError(error);
    }
  }

  async ping(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      const mapped = mapPostgresError(error);
      throw mapped instanceof EventStoreUnavailableError
        ? mapped
        : new EventStoreUnavailableError(`PostgreSQL event store unavailable: ${(error as Error).message}`, error);
    }
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}

/**
 * Catch-up then live: pages through the log from the checkpoint, and when it reaches the head
 * waits for a NOTIFY from an append (or a slow poll, in case a notification was missed while
 * reconnecting) before reading again. Uses its own connection, since LISTEN is per session.
 */
class PostgresAllSubscription implements Subscription {
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly done: Promise<void>;
  private client: Client | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly options: SubscribeToAllOptions,
    private readonly pageSize: number,
    private readonly read: (client: Client, options: ReadAllOptions) => Promise<RecordedEvent[]>,
  ) {
    this.done = this.run().catch((error: unknown) => {
      if (!this.closed) this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
    });
  }

  private async run(): Promise<void> {
    const client = new Client({ connectionString: this.connectionString });
    this.client = client;
    client.on('error', () => undefined);
    await client.connect();
    try {
      client.on('notification', () => this.wake?.());
      await client.query(`LISTEN ${APPENDED_CHANNEL}`);
      let after = this.options.after;
      let caughtUp = false;
      while (!this.closed) {
        const events = await this.read(client, {
          after,
          maxCount: this.options.maxCount ?? this.pageSize,
          streamPrefixes: this.options.streamPrefixes,
        });
        if (this.closed) break;
        if (events.length > 0) {
          caughtUp = false;
          await this.options.onEvents(events);
          after = events[events.length - 1].position;
          continue;
        }
        if (!caughtUp) {
          caughtUp = true;
          this.options.onCaughtUp?.();
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, IDLE_POLL_MS);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.done;
  }
}
