import type { DataSource } from 'typeorm';
import { comparePositions, START_OF_LOG, type EventStore, type LogPosition, type RecordedEvent } from '@app/event-store';
import { DEFAULT_PROJECTION_MEMORY_ROWS, errorDescription, errorKind, isPostgresConnectionError, storableText } from '@app/platform';
import { applyInTransaction, ensureCheckpoint } from './apply-batch';
import { CHECKPOINT_TABLE, positionOf, type CheckpointRow } from './checkpoints';
import { foldInOnePass, OnePassMemory, OnePassOvertakenError } from './one-pass';
import { READ_MODEL_SCHEMA, type Projection, type ProjectionState } from './projection';
import { clientConfigOf, defaultInstanceName, projectionLockKey, SessionLock } from './projection-lock';

export interface RunnerOptions {
  readonly batchSize: number;
  /** Wait before following the log again after the store or the database failed. */
  readonly retryDelayMs: number;
  /**
   * How often an instance on standby tries to take a projection over, and how often the instance
   * running it checks its lock connection (and whether a stopped projection was revived). Default 1000.
   */
  readonly standbyRetryMs?: number;
  /** This process as GET /projections names the owner of a projection; default host:pid. */
  readonly instance?: string;
  /** Failures: a poisoned event, the log or the lock lost. */
  readonly log: (message: string) => void;
  /** Ownership changes: running a projection here, standing by; default: nowhere. */
  readonly info?: (message: string) => void;
  /**
   * Rows the one-pass folds (rebuilds, catch-ups from empty tables) of an engine's projections
   * keep in memory together before they are written; default DEFAULT_PROJECTION_MEMORY_ROWS.
   */
  readonly rebuildMemoryRows?: number;
  /** Where counting a projection's lag stops (its status's lagEvents and lagCapped); default DEFAULT_LAG_COUNT_CAP. */
  readonly lagCountCap?: number;
}

/** Past this, "at least this many events behind" is all an operator needs. */
export const DEFAULT_LAG_COUNT_CAP = 10_000;

export const DEFAULT_STANDBY_RETRY_MS = 1000;

/** A one-pass catch-up told to stop: the service is stopping or the lock is lost. */
class OnePassStoppedError extends Error {
  override readonly name = 'OnePassStoppedError';
}

/** This instance's part in a projection: running it (holds its lock), waiting for the lock, or not trying at all. */
export type RunnerRole = 'active' | 'standby' | 'off';

/**
 * The event that stopped a projection, kept so an operator can find and fix it: it names the
 * event and what failed (the error's class, PostgreSQL's SQLSTATE and the table, column or
 * constraint), never the error's message, which can quote the event's data (a birth date, a
 * name). It goes to the checkpoint row (GET /projections, admins) and to the log alike.
 */
export class PoisonedEventError extends Error {
  override readonly name = 'PoisonedEventError';
  constructor(
    readonly projection: string,
    readonly event: RecordedEvent,
    override readonly cause: unknown,
  ) {
    super(
      `Projection ${projection} stopped at event ${event.id} (${event.type}, stream ${event.streamId} version ` +
        `${event.version}, position ${event.position.commit}/${event.position.prepare}): ${errorDescription(cause)}`,
    );
  }
}

/**
 * Runs one projection in this instance while it holds the projection's advisory lock
 * (projection-lock.ts); until then it stands by and tries again every `standbyRetryMs`.
 * Holding the lock, it follows the log from its checkpoint (catch-up, then live) and applies
 * each delivered batch in one transaction with the checkpoint. A handler that throws stops this
 * projection only, with the error and the event's position recorded in its checkpoint row; the
 * store or the database going away is not the handler's fault, so the runner waits and follows
 * again from the checkpoint. When the lock's connection breaks, the runner stops following (at a
 * committed checkpoint) and stands by again: another instance may have taken over meanwhile. The
 * checkpoint row lock taken by every batch (apply-batch.ts) stays the second line of defence:
 * even two runners at once never apply an event twice.
 */
export class ProjectionRunner {
  private readonly lock: SessionLock;
  private readonly instance: string;
  private readonly standbyRetryMs: number;
  private current: ProjectionState = 'standby';
  private loop: Promise<void> | undefined;
  private stopping = false;
  /** Set while following: why to stop following. */
  private failure: Error | undefined;
  private poisoned = false;
  /** Its one-pass writer failed here: not trusted to finish a catch-up (onePassFrom) again. */
  private onePassFailed = false;
  /** Resolves the wait the loop is in, if any. */
  private waiter: (() => void) | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    readonly projection: Projection,
    private readonly options: RunnerOptions,
    /** The bound its one-pass catch-up shares with the engine's other one-pass folds. */
    private readonly memory = new OnePassMemory(options.rebuildMemoryRows ?? DEFAULT_PROJECTION_MEMORY_ROWS),
  ) {
    this.instance = options.instance ?? defaultInstanceName();
    this.standbyRetryMs = options.standbyRetryMs ?? DEFAULT_STANDBY_RETRY_MS;
    this.lock = new SessionLock(clientConfigOf(dataSource), projectionLockKey(projection.name), this.standbyRetryMs, (reason) => {
      this.options.log(`Projection ${projection.name} lost its lock (${reason.message}); standing by`);
      this.wake();
    });
  }

  /** As this instance sees it: 'standby' until it holds the lock. */
  get state(): ProjectionState {
    return this.current;
  }

  get role(): RunnerRole {
    if (!this.loop) return 'off';
    return this.lock.held ? 'active' : 'standby';
  }

  /** Starts running or standing by; resolves after the first attempt at the lock. */
  async start(): Promise<void> {
    if (this.loop) return;
    this.stopping = false;
    let attempted!: () => void;
    const firstAttempt = new Promise<void>((resolve) => (attempted = resolve));
    this.loop = this.supervise(attempted).finally(() => {
      attempted();
      this.loop = undefined;
    });
    await firstAttempt;
  }

  /** Looks again now rather than at the next interval: for the lock, or whether a stopped projection was revived. */
  retryNow(): void {
    this.wake();
  }

  /** Stops at a committed checkpoint (the batch being applied finishes or rolls back first), then lets go of the lock. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
  }

  private async supervise(attempted: () => void): Promise<void> {
    let standingBy = false;
    let claimed = false;
    let failing = false;
    try {
      while (!this.stopping) {
        let pause = this.standbyRetryMs;
        try {
          if (!this.lock.held) {
            claimed = false;
            const got = await this.lock.tryAcquire();
            if (!got) {
              attempted();
              this.current = 'standby';
              if (!standingBy) this.options.info?.(`Projection ${this.projection.name}: standing by; another instance runs it`);
              standingBy = true;
              failing = false;
              await this.wait(pause);
              continue;
            }
            standingBy = false;
          }
          if (!claimed) claimed = await this.claim();
          // start() returns once this instance has said whether it runs the projection, so that
          // the service's "Listening" line comes after every such line.
          attempted();
          const checkpoint = await ensureCheckpoint(this.dataSource, this.projection.name);
          failing = false;
          if (checkpoint.state === 'stopped') {
            // Kept stopped (and the lock held) until a rebuild, in whichever instance, revives it.
            this.current = 'stopped';
          } else if (!this.stopping) {
            const onePass = await this.onePassFrom(checkpoint);
            const from = onePass ? await this.catchUpInOnePass(onePass) : positionOf(checkpoint);
            if (!this.stopping && this.lock.held) pause = await this.follow(from);
          }
        } catch (error) {
          attempted();
          // Once per outage, not once per attempt.
          if (!failing) this.options.log(`Projection ${this.projection.name} cannot run (${errorKind(error)}); trying again shortly`);
          failing = true;
          pause = this.options.retryDelayMs;
        }
        if (!this.stopping) await this.wait(pause);
      }
    } finally {
      if (this.lock.held) await this.disclaim();
      await this.lock.release();
      this.current = 'standby';
    }
  }

  /** Names this instance as the owner; the lock is held. */
  private async claim(): Promise<true> {
    await this.dataSource.query(
      `INSERT INTO ${CHECKPOINT_TABLE} (name, owner, owner_since) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, owner_since = EXCLUDED.owner_since`,
      [this.projection.name, this.instance],
    );
    this.options.info?.(`Projection ${this.projection.name}: running in this instance (${this.instance})`);
    return true;
  }

  private async disclaim(): Promise<void> {
    await this.dataSource
      .query(`UPDATE ${CHECKPOINT_TABLE} SET owner = NULL, owner_since = NULL WHERE name = $1 AND owner = $2`, [
        this.projection.name,
        this.instance,
      ])
      .catch(() => undefined);
  }

  /**
   * Where a one-pass catch-up starts, if the projection takes one (it has a one-pass writer): the
   * start of the log when it starts from nothing (its checkpoint there, its tables empty, as a
   * one-pass writer expects them); its checkpoint when its tables are those of a one-pass
   * catch-up that ended before its last flush and its writer can finish it (Projection.onePassToFinish);
   * otherwise none: the live path carries on from the checkpoint.
   */
  private async onePassFrom(checkpoint: CheckpointRow): Promise<LogPosition | undefined> {
    if (!this.projection.rebuildWriter || this.onePassFailed) return undefined;
    const position = positionOf(checkpoint);
    if (comparePositions(position, START_OF_LOG) !== 0) {
      const toFinish = await this.projection.onePassToFinish?.({ schema: READ_MODEL_SCHEMA, query: (sql, parameters) => this.dataSource.query(sql, parameters) });
      return toFinish ? position : undefined;
    }
    for (const table of this.projection.tables) {
      const [row] = (await this.dataSource.query(`SELECT EXISTS (SELECT 1 FROM ${READ_MODEL_SCHEMA}.${table}) AS taken`)) as Array<{ taken: boolean }>;
      if (row.taken) return undefined;
    }
    return START_OF_LOG;
  }

  /**
   * Catches up from empty tables as a rebuild builds its copy (one-pass.ts): the log folded in
   * memory with the projection's one-pass writer and written with COPY, each flush committed
   * with the live checkpoint, instead of batch by batch, each batch reading back and rewriting
   * the rows it touches. Queries see the tables grow flush by flush. Stops (leaving the
   * tables at the last flush) when the service stops or the lock is lost, also during a flush
   * (a long last one: it rolls back). A writer that fails is not trusted further: the live path
   * carries on from the last flush, batch by batch, and names the event at fault if there is
   * one. Returns the checkpoint's position.
   */
  private async catchUpInOnePass(after: LogPosition): Promise<LogPosition> {
    this.current = 'catching-up';
    void this.recordState('catching-up');
    try {
      await foldInOnePass(this.store, this.dataSource, this.projection, this.projection.rebuildWriter!(), {
        checkpoint: this.projection.name,
        schema: READ_MODEL_SCHEMA,
        after,
        batchSize: this.options.batchSize,
        memory: this.memory,
        carryOn: () => {
          if (this.stopping || !this.lock.held) throw new OnePassStoppedError();
        },
      });
    } catch (error) {
      if (isPostgresConnectionError(error)) throw error;
      if (!(error instanceof OnePassStoppedError) && !(error instanceof OnePassOvertakenError)) {
        this.onePassFailed = true;
        this.options.log(`Projection ${this.projection.name}: its one-pass catch-up failed (${errorKind(error)}); carrying on batch by batch`);
      }
    }
    return positionOf(await ensureCheckpoint(this.dataSource, this.projection.name));
  }

  /**
   * Follows the log until told to stop, the lock is lost, a handler poisoned the projection, or
   * the store or database failed; returns how long to wait before looking again.
   */
  private async follow(after: LogPosition): Promise<number> {
    this.failure = undefined;
    this.poisoned = false;
    this.current = 'catching-up';
    void this.recordState('catching-up');
    const subscription = this.store.subscribeToAll({
      after,
      maxCount: this.options.batchSize,
      streamPrefixes: this.projection.streamPrefixes,
      onEvents: (events) => this.handle(events),
      onCaughtUp: () => this.moveTo('catching-up', 'live'),
      // Fallen behind the head (the store dropped a slow subscriber, or said so): catching up until caught up again.
      onFellBehind: () => this.moveTo('live', 'catching-up'),
      onError: (error) => {
        this.failure = error;
        this.wake();
      },
    });
    while (!this.stopping && this.lock.held && !this.poisoned && !this.failure) await this.wait();
    // Waits for the batch being applied: what is committed is behind the checkpoint.
    await subscription.close().catch(() => undefined);
    // Set by the callbacks meanwhile (the compiler only sees the assignment above).
    const failure = this.failure as Error | undefined;
    if (failure) {
      this.options.log(`Projection ${this.projection.name} lost the log (${failure.name}); following again shortly`);
      return this.options.retryDelayMs;
    }
    if (this.poisoned) return 0;
    return this.standbyRetryMs;
  }

  private async handle(events: readonly RecordedEvent[]): Promise<void> {
    // Without the lock another instance may be running it; the subscription is being closed.
    if (this.stopping || this.poisoned || !this.lock.held) return;
    try {
      await applyInTransaction(this.dataSource, this.projection, this.projection.name, READ_MODEL_SCHEMA, events);
    } catch (error) {
      if (isPostgresConnectionError(error)) throw error;
      await this.findPoison(events);
    }
  }

  /** A batch failed: apply its events one by one to commit what is sound and name the culprit. */
  private async findPoison(events: readonly RecordedEvent[]): Promise<void> {
    for (const event of events) {
      try {
        await applyInTransaction(this.dataSource, this.projection, this.projection.name, READ_MODEL_SCHEMA, [event]);
      } catch (error) {
        if (isPostgresConnectionError(error)) throw error;
        const poisoned = new PoisonedEventError(this.projection.name, event, error);
        await this.dataSource.query(
          `UPDATE ${CHECKPOINT_TABLE}
              SET state = 'stopped', error = $2, error_position_commit = $3, error_position_prepare = $4, error_event_id = $5,
                  updated_at = now()
            WHERE name = $1`,
          [this.projection.name, storableText(poisoned.message), event.position.commit.toString(), event.position.prepare.toString(), event.id],
        );
        this.options.log(poisoned.message);
        this.current = 'stopped';
        this.poisoned = true;
        this.wake();
        return;
      }
    }
  }

  private moveTo(from: ProjectionState, to: ProjectionState): void {
    if (this.current !== from) return;
    this.current = to;
    void this.recordState(to);
  }

  private async recordState(state: ProjectionState): Promise<void> {
    await this.dataSource
      .query(`UPDATE ${CHECKPOINT_TABLE} SET state = $2, updated_at = now() WHERE name = $1 AND state <> 'stopped'`, [
        this.projection.name,
        state,
      ])
      .catch(() => undefined);
  }

  /** Until woken, or `ms` at the most. */
  private wait(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.wake(), ms);
      this.waiter = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
