import { Client, Pool } from 'pg';
import {
  assertStorableEvents,
  comparePositions,
  DuplicateEventIdError,
  EventStoreUnavailableError,
  START_OF_LOG,
  WrongExpectedVersionError,
  type AppendResult,
  type CountAllOptions,
  type EventStore,
  type EventToAppend,
  type ExpectedVersion,
  type JsonObject,
  type LogCount,
  type LogPosition,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StatementWithAppend,
  type QueryWithRead,
  type StatementWithRead,
  type StreamReadWith,
  type SubscribeToAllOptions,
  type Subscription,
} from '../event-store.port';
import { isPostgresConnectionError, PreparedNames, sentWithCallback } from '@app/platform';
import { migrateEventStoreSchema } from './schema';

const APPENDED_CHANNEL = 'event_store_appended';
/*
 * The log's order is (commit, prepare) = (commit_position, position): the appending transaction's
 * place, then the event's number within it (schema.ts, migration 3). Appends to different streams
 * do not wait for each other, so they commit in any order, and an append still in progress may
 * commit below events already visible. Readers of the whole log therefore read only below
 * event_store.log_horizon(), the lowest place of an append still in progress: whoever has read up
 * to a position will never see an event appear before it (docs/architecture.md).
 */
const DEFAULT_PAGE = 500;
const IDLE_POLL_MS = 1000;
/** How long readAll waits for appends in progress below events already committed. */
const PENDING_WAIT_MS = 5000;
const PENDING_POLL_MAX_MS = 50;
/** A unique key taken by an append that did not see the other one: retried, then it sees it. */
const RACED_APPEND_RETRIES = 3;

/**
 * An event's row as its columns come back, in COLUMNS' order: rows are read as arrays (pg's
 * rowMode 'array'), not as an object with a property per column, which pg built for every row of
 * every page and dropped at once (every projection reads every event).
 */
type EventRow = [
  position: string,
  commit_position: string,
  event_id: string,
  stream_id: string,
  version: number,
  type: string,
  data: JsonObject,
  metadata: JsonObject,
  /** created_at in whole milliseconds since the epoch, rounded down, as pg's own parsing of the timestamp gives a Date. */
  created_ms: number,
];

// created_at as milliseconds: pg parses a timestamp's text with a pattern and a Date of its
// parts, the largest cost of a row after its JSON (every projection reads every event).
const COLUMNS = 'position, commit_position, event_id, stream_id, version, type, data, metadata, floor(extract(epoch FROM created_at) * 1000)::float8 AS created_ms';
const EVENT_COLUMNS = 9;
const APPEND_COLUMNS = 'outcome, stream_version, commit_position::text, last_position::text, conflicting_id::text';

/** The event of a row whose event columns (COLUMNS) start at `at`. */
function toRecordedEvent(row: readonly unknown[], at = 0): RecordedEvent {
  return {
    id: row[at + 2] as string,
    streamId: row[at + 3] as string,
    version: row[at + 4] as number,
    type: row[at + 5] as string,
    data: row[at + 6] as JsonObject,
    metadata: row[at + 7] as JsonObject,
    position: { commit: BigInt(row[at + 1] as string), prepare: BigInt(row[at] as string) },
    createdAt: new Date(row[at + 8] as number),
  };
}

/** Connection-level failures become the port's "unavailable"; everything else passes through. */
export function mapPostgresError(error: unknown): unknown {
  if (error instanceof WrongExpectedVersionError || error instanceof DuplicateEventIdError) return error;
  if (!isPostgresConnectionError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EventStoreUnavailableError(`PostgreSQL event store unavailable: ${message}`, error);
}

/** One page of the log below the horizon, and whether committed events wait beyond it. */
interface LogPage {
  readonly events: RecordedEvent[];
  /** The last commit position visible, even beyond the horizon (null: an empty log). */
  readonly last: bigint | null;
  readonly horizon: bigint;
}

/** Committed events after `after` that may not be read yet: an append in progress is below them. */
function waitingBeyond(page: LogPage, after: LogPosition): boolean {
  return page.last !== null && page.last >= page.horizon && page.last >= after.commit;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

interface AppendRow {
  outcome: string;
  stream_version: number | null;
  commit_position: string | null;
  last_position: string | null;
  conflicting_id: string | null;
}

/** A unique key another append took first: the two did not see each other (schema.ts). */
function isRacedAppend(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === '23505' && (constraint === 'events_event_id_key' || constraint === 'events_stream_version_unique');
}

/**
 * Wakes the followers after appends have committed (event_store.notify_appended, its own small
 * transaction, see schema.ts), one NOTIFY at a time: one sent after an append's commit wakes them
 * for it and for every append committed before it was sent. Under load that is one NOTIFY for many
 * appends. A NOTIFY lost (the process dies first) costs a follower its one-second poll.
 */
class AppendAnnouncer {
  private sending: Promise<void> | undefined;
  private again = false;

  constructor(private readonly pool: Pool) {}

  announce(): void {
    if (this.sending) {
      this.again = true;
      return;
    }
    this.sending = this.send();
  }

  private async send(): Promise<void> {
    do {
      this.again = false;
      await this.pool.query('SELECT event_store.notify_appended()').catch(() => undefined);
    } while (this.again);
    this.sending = undefined;
  }

  async settled(): Promise<void> {
    await this.sending;
  }
}

export class PostgresEventStore implements EventStore {
  private readonly pageSize: number;
  private readonly announcer: AppendAnnouncer;
  /** readStreamWith's statements, each prepared once per connection (PreparedNames): every dossier read sends one, and PostgreSQL parsed and planned its four-part text anew each time (bench/README.md, "Dossier reads"). */
  private readonly readsWith = new PreparedNames('read-with');

  private constructor(
    private readonly pool: Pool,
    private readonly connectionString: string,
    private readonly ownsPool: boolean,
    options: PostgresEventStoreOptions,
  ) {
    this.pageSize = options.pageSize ?? DEFAULT_PAGE;
    this.announcer = new AppendAnnouncer(pool);
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
   * One statement, event_store.append_events (schema.ts): under the stream's lock it recognises a
   * retry of a committed append, checks the expected version and inserts; the statement's commit
   * releases the lock. Only appends to the same stream wait for each other, so appends to
   * different streams commit together in one flush of the write-ahead log.
   */
  append(streamId: string, events: readonly EventToAppend[], expected: ExpectedVersion): Promise<AppendResult> {
    return this.appendWith(streamId, events, expected);
  }

  /**
   * append(), and `statement` in the same statement when the append succeeds: a CTE that reads
   * the append's row (`appended_ok`), so it writes after the append, which stays the first
   * write of its transaction.
   */
  async appendWith(streamId: string, events: readonly EventToAppend[], expected: ExpectedVersion, statement?: StatementWithAppend): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    assertStorableEvents(streamId, events);
    const own = statement?.parameters ?? [];
    const at = (n: number) => `$${own.length + n}`;
    const append = `event_store.append_events(${at(1)}, ${at(2)}, ${at(3)}::uuid[], ${at(4)}::text[], ${at(5)}::jsonb[], ${at(6)}::jsonb[])`;
    const sql = statement
      ? `WITH appended AS MATERIALIZED (SELECT * FROM ${append}), ` +
        `appended_ok AS (SELECT stream_version FROM appended WHERE outcome IN ('appended', 'retried')), ` +
        `written AS (${statement.sql}) ` +
        `SELECT ${APPEND_COLUMNS} FROM appended`
      : `SELECT ${APPEND_COLUMNS} FROM ${append}`;
    const params = [
      ...own,
      streamId,
      String(expected),
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => JSON.stringify(e.metadata)),
    ];
    let result: AppendRow | undefined;
    for (let attempt = 1; result === undefined; attempt++) {
      try {
        ({
          rows: [result],
        } = await this.pool.query<AppendRow>(sql, params));
      } catch (error) {
        // Two appends of the same event ids to different streams at once, or a writer that went
        // round append_events: the next attempt sees what the other committed.
        if (!isRacedAppend(error) || attempt >= RACED_APPEND_RETRIES) throw mapPostgresError(error);
      }
    }
    switch (result.outcome) {
      case 'duplicate':
        throw new DuplicateEventIdError(streamId, result.conflicting_id!);
      case 'conflict':
        throw new WrongExpectedVersionError(streamId, expected, result.stream_version!);
      default:
        if (result.outcome === 'appended') this.announcer.announce();
        return {
          nextExpectedVersion: result.stream_version!,
          position: { commit: BigInt(result.commit_position!), prepare: BigInt(result.last_position!) },
        };
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
      const { rows } = await this.pool.query<EventRow>({ text: sql, values: params, rowMode: 'array' });
      return rows.map((row) => toRecordedEvent(row));
    } catch (error) {
      throw mapPostgresError(error);
    }
  }

  async readStreamWith(streamId: string, statement: StatementWithRead, alongside?: QueryWithRead): Promise<StreamReadWith> {
    const own = statement.parameters.length;
    const stream = own + 1;
    const at = (n: number) => `$${stream + n}`;
    // The rows of `alongside` once, on the stream's first row (a scalar subquery runs once, and only there).
    const beside = alongside
      ? `CASE WHEN s.version = (SELECT min(version) FROM stream) THEN (SELECT coalesce(json_agg(a), '[]') FROM (${alongside.sql(at)}) a) END`
      : 'NULL::json';
    const sql =
      `WITH stream AS MATERIALIZED (SELECT ${COLUMNS} FROM event_store.events WHERE stream_id = $${stream}), ` +
      `stream_found AS (SELECT 1 WHERE EXISTS (SELECT 1 FROM stream)), ` +
      `written AS (${statement.sql}) ` +
      `SELECT s.*, ${beside} AS alongside FROM stream s ORDER BY s.version`;
    try {
      const { rows } = await this.pool.query<[...EventRow, alongside: Array<Record<string, unknown>> | null]>({
        name: this.readsWith.nameOf(sql),
        text: sql,
        values: [...statement.parameters, streamId, ...(alongside?.parameters ?? [])],
        rowMode: 'array',
      });
      return { events: rows.map((row) => toRecordedEvent(row)), alongside: rows[0]?.[EVENT_COLUMNS] ?? [] };
    } catch (error) {
      throw mapPostgresError(error);
    }
  }

  /**
   * Every event committed before the call (up to the page size): when appends still in progress
   * lie below events already committed, it waits for them (milliseconds: an append is one
   * statement), at most PENDING_WAIT_MS, and returns what can be read then.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.after ?? START_OF_LOG;
    const maxCount = options.maxCount ?? this.pageSize;
    let page = await this.readPage(this.pool, options);
    if (page.events.length >= maxCount || !waitingBeyond(page, after)) return page.events;
    const committedBefore = page.last!;
    const deadline = Date.now() + PENDING_WAIT_MS;
    for (let delay = 1; page.horizon <= committedBefore && Date.now() < deadline; delay = Math.min(delay * 2, PENDING_POLL_MAX_MS)) {
      await sleep(delay);
      page = await this.readPage(this.pool, options);
      if (page.events.length >= maxCount) break;
    }
    return page.events;
  }

  /** One statement, so that the horizon and the events come from the same snapshot. */
  private async readPage(queryable: Pool | Client, options: ReadAllOptions): Promise<LogPage> {
    const after = options.after ?? START_OF_LOG;
    const params: unknown[] = [after.commit.toString(), after.prepare.toString()];
    const filter = prefixCondition(options.streamPrefixes, params);
    params.push(options.maxCount ?? this.pageSize);
    const sql = `SELECT h.horizon::text AS horizon, h.last_commit::text AS last_commit, e.*
                   FROM event_store.log_horizon() h
                   LEFT JOIN LATERAL (
                     SELECT ${COLUMNS} FROM event_store.events
                      WHERE (commit_position, position) > ($1, $2) AND commit_position < h.horizon${filter}
                      ORDER BY commit_position, position LIMIT $${params.length}) e ON true`;
    try {
      // pg's callback form (sentWithCallback): through the promise form a Client keeps each page alive
      // past its answer (a pool sends with the callback form already).
      const { rows } = await sentWithCallback<{ rows: Array<[horizon: string, last_commit: string | null, ...EventRow]> }>(queryable, sql, params, undefined, 'array');
      const [horizon, lastCommit, position] = rows[0];
      // In the page's order already (a lateral join runs its one row's subquery in order); sorted
      // here rather than by PostgreSQL, whose sort would copy every row, data and all.
      return {
        events: position === null ? [] : rows.map((row) => toRecordedEvent(row, 2)).sort((a, b) => comparePositions(a.position, b.position)),
        last: lastCommit === null ? null : BigInt(lastCommit),
        horizon: BigInt(horizon),
      };
    } catch (error) {
      throw mapPostgresError(error);
    }
  }

  async countAll(options: CountAllOptions): Promise<LogCount> {
    const after = options.after ?? START_OF_LOG;
    const params: unknown[] = [after.commit.toString(), after.prepare.toString()];
    const filter = prefixCondition(options.streamPrefixes, params);
    params.push(Math.max(0, options.upTo));
    // The log's order index walked up to upTo rows; only created_at is read from each.
    const sql = `SELECT count(*)::int AS events, min(created_at) AS oldest FROM (
                   SELECT created_at FROM event_store.events
                    WHERE (commit_position, position) > ($1, $2)${filter}
                    ORDER BY commit_position, position LIMIT $${params.length}) counted`;
    try {
      const { rows } = await this.pool.query<{ events: number; oldest: Date | null }>(sql, params);
      return { events: rows[0].events, oldestCreatedAt: rows[0].oldest };
    } catch (error) {
      throw mapPostgresError(error);
    }
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    return new PostgresAllSubscription(this.connectionString, options, this.pageSize, (client, readOptions) =>
      this.readPage(client, readOptions),
    );
  }

  /** The last event committed, even if an append in progress below it keeps readers from it yet. */
  async headPosition(): Promise<LogPosition> {
    try {
      const { rows } = await this.pool.query<{ commit_position: string; position: string }>(
        'SELECT commit_position, position FROM event_store.events ORDER BY commit_position DESC, position DESC LIMIT 1',
      );
      if (rows.length === 0) return START_OF_LOG;
      return { commit: BigInt(rows[0].commit_position), prepare: BigInt(rows[0].position) };
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
    await this.announcer.settled();
    if (this.ownsPool) await this.pool.end();
  }
}

/**
 * Catch-up then live: pages through the log from the checkpoint, and when it reaches the head
 * waits for a NOTIFY from an append (or a slow poll, in case a notification was missed while
 * reconnecting) before reading again. When committed events wait beyond the horizon, it reads
 * again soon instead: the append holding them back sends no NOTIFY of its own if it was already
 * announced, and nothing else might. Uses its own connection, since LISTEN is per session.
 */
class PostgresAllSubscription implements Subscription {
  private closed = false;
  private wake: (() => void) | undefined;
  /** A NOTIFY arrived since the last read began (it may have come while no one was waiting). */
  private notified = false;
  private readonly done: Promise<void>;
  private client: Client | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly options: SubscribeToAllOptions,
    private readonly pageSize: number,
    private readonly read: (client: Client, options: ReadAllOptions) => Promise<LogPage>,
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
      client.on('notification', () => {
        this.notified = true;
        this.wake?.();
      });
      await client.query(`LISTEN ${APPENDED_CHANNEL}`);
      let after = this.options.after ?? START_OF_LOG;
      let caughtUp = false;
      let pendingDelay = 1;
      const maxCount = this.options.maxCount ?? this.pageSize;
      while (!this.closed) {
        this.notified = false;
        const page = await this.read(client, { after, maxCount, streamPrefixes: this.options.streamPrefixes });
        if (this.closed) break;
        const { events } = page;
        if (events.length > 0) {
          caughtUp = false;
          await this.options.onEvents(events);
          after = events[events.length - 1].position;
          if (events.length >= maxCount) continue;
        }
        const waiting = waitingBeyond(page, after);
        if (!waiting && !caughtUp) {
          caughtUp = true;
          this.options.onCaughtUp?.();
        }
        pendingDelay = waiting ? Math.min(pendingDelay * 2, PENDING_POLL_MAX_MS) : 1;
        if (this.notified) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waiting ? pendingDelay : IDLE_POLL_MS);
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
