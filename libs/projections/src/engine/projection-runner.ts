import type { DataSource } from 'typeorm';
import type { EventStore, LogPosition, RecordedEvent, Subscription } from '@app/event-store';
import { isPostgresConnectionError } from '@app/platform/postgres-errors';
import { applyInTransaction, ensureCheckpoint } from './apply-batch';
import { CHECKPOINT_TABLE, positionOf } from './checkpoints';
import { READ_MODEL_SCHEMA, type Projection, type ProjectionState } from './projection';

export interface RunnerOptions {
  readonly batchSize: number;
  /** Wait before following the log again after the store or the database failed. */
  readonly retryDelayMs: number;
  readonly log: (message: string) => void;
}

/** The event that stopped a projection, kept so an operator can find and fix it. */
export class PoisonedEventError extends Error {
  override readonly name = 'PoisonedEventError';
  constructor(
    readonly projection: string,
    readonly event: RecordedEvent,
    override readonly cause: unknown,
  ) {
    super(
      `Projection ${projection} stopped at event ${event.id} (${event.type}, stream ${event.streamId} version ` +
        `${event.version}, position ${event.position.commit}/${event.position.prepare}): ` +
        `${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/**
 * Runs one projection: follows the log from its checkpoint (catch-up, then live) and applies
 * each delivered batch in one transaction with the checkpoint. A handler that throws stops this
 * projection only, with the error and the event's position recorded in its checkpoint row; the
 * store or the database going away is not the handler's fault, so the runner waits and follows
 * again from the checkpoint.
 */
export class ProjectionRunner {
  private subscription: Subscription | undefined;
  private current: ProjectionState = 'catching-up';
  private stopping = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    readonly projection: Projection,
    private readonly options: RunnerOptions,
  ) {}

  get state(): ProjectionState {
    return this.current;
  }

  get running(): boolean {
    return this.subscription !== undefined;
  }

  async start(): Promise<void> {
    this.stopping = false;
    const checkpoint = await ensureCheckpoint(this.dataSource, this.projection.name);
    if (checkpoint.state === 'stopped') {
      this.current = 'stopped';
      return;
    }
    this.follow(positionOf(checkpoint));
  }

  private follow(after: LogPosition): void {
    this.current = 'catching-up';
    void this.recordState('catching-up');
    this.subscription = this.store.subscribeToAll({
      after,
      maxCount: this.options.batchSize,
      streamPrefixes: this.projection.streamPrefixes,
      onEvents: (events) => this.handle(events),
      onCaughtUp: () => {
        if (this.current === 'catching-up') {
          this.current = 'live';
          void this.recordState('live');
        }
      },
      onError: (error) => void this.recover(error),
    });
  }

  private async handle(events: readonly RecordedEvent[]): Promise<void> {
    if (this.stopping) return;
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
              SET state = 'stopped', error = $2, error_position_commit = $3, error_position_prepare = $4, updated_at = now()
            WHERE name = $1`,
          [this.projection.name, poisoned.message, event.position.commit.toString(), event.position.prepare.toString()],
        );
        this.options.log(poisoned.message);
        this.current = 'stopped';
        this.stopping = true;
        // Not awaited: this runs inside the subscription's own handler.
        void this.subscription?.close();
        this.subscription = undefined;
        return;
      }
    }
  }

  private async recover(error: Error): Promise<void> {
    if (this.stopping) return;
    this.options.log(`Projection ${this.projection.name} lost the log (${error.name}); following again shortly`);
    await this.subscription?.close().catch(() => undefined);
    this.subscription = undefined;
    this.current = 'catching-up';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopping) this.start().catch((failure: unknown) => void this.recover(failure as Error));
    }, this.options.retryDelayMs);
  }

  private async recordState(state: ProjectionState): Promise<void> {
    await this.dataSource
      .query(`UPDATE ${CHECKPOINT_TABLE} SET state = $2, updated_at = now() WHERE name = $1 AND state <> 'stopped'`, [
        this.projection.name,
        state,
      ])
      .catch(() => undefined);
  }

  /** Stops at a committed checkpoint: the batch being applied finishes or rolls back first. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.subscription?.close();
    this.subscription = undefined;
  }
}
