import type { DataSource } from 'typeorm';
import { DEFAULT_PROJECTION_MEMORY_ROWS } from '@app/platform';
import { comparePositions, START_OF_LOG, type EventStore, type LogCount, type LogPosition } from '@app/event-store';
import { CHECKPOINT_TABLE, errorPositionOf, positionOf, rebuildCheckpointName, type CheckpointRow } from './checkpoints';
import type { Projection, ProjectionState } from './projection';
import { clientConfigOf, grantedLocks, lockName, projectionLockKey, rebuildLockKey, SessionLock } from './projection-lock';
import { DEFAULT_LAG_COUNT_CAP, DEFAULT_STANDBY_RETRY_MS, ProjectionRunner, type RunnerOptions, type RunnerRole } from './projection-runner';
import { OnePassMemory } from './one-pass';
import { rebuildProjection, type RebuildProgress, type RebuildResult } from './rebuild';
import { SAFE_FORM_TABLE, type StoredAs } from './safe-form';

const NOTHING_PENDING: LogCount = { events: 0, oldestCreatedAt: null };

export interface ProjectionStatus {
  name: string;
  state: ProjectionState;
  position: { commit: string; prepare: string };
  head: { commit: string; prepare: string };
  /** Events of this projection's streams after its position, counted up to the engine's lagCountCap (10,000 unless set): see lagCapped. */
  lagEvents: number;
  lagCapped: boolean;
  /** How long ago the oldest event it has not applied yet was recorded; 0 when up to date. */
  lagSeconds: number;
  /**
   * Why it stopped (the error's kind and what it was about, never its message) and at which
   * event; null unless stopped. A stop is for bugs: data PostgreSQL cannot store is stored in a
   * safe form instead (safeForms).
   */
  error: { message: string; eventId: string | null; position: { commit: string; prepare: string } | null } | null;
  /** Events stored in a safe form or left out (engine/safe-form.ts): how many, and the first SAFE_FORMS_LISTED in log order. */
  safeForms: { count: number; events: SafeFormEntry[] };
  rebuild: { position: { commit: string; prepare: string } } | null;
  /** The instance running it (host:pid unless named otherwise); null when none does (state 'standby'). */
  owner: string | null;
  /** Since when that instance has run it. */
  ownerSince: string | null;
  /** This instance's part: 'active' (runs it), 'standby' (ready to take over), 'off' (runs no projections). */
  thisInstance: RunnerRole;
}

/** An event a projection stored in a safe form (`fields` hold stand-ins) or left out (`leftOut` says why). */
export interface SafeFormEntry {
  eventId: string;
  type: string;
  position: { commit: string; prepare: string };
  fields: Array<{ field: string; storedAs: StoredAs }>;
  leftOut: string | null;
}

/** How many of a projection's safe-form events GET /projections lists; `count` says how many there are. */
export const SAFE_FORMS_LISTED = 100;

const asText = (position: LogPosition) => ({ commit: position.commit.toString(), prepare: position.prepare.toString() });

export class UnknownProjectionError extends Error {
  override readonly name = 'UnknownProjectionError';
}

export class RebuildInProgressError extends Error {
  override readonly name = 'RebuildInProgressError';
}

/**
 * All projections of the service: starts and stops them, reports on them, rebuilds them. Several
 * engines (API instances, projector instances) may run against the same database: each
 * projection runs in the one holding its lock, the others stand by (projection-runner.ts).
 */
export class ProjectionEngine {
  private readonly runners: ProjectionRunner[];
  private readonly rebuilding = new Set<string>();
  /** One bound for the rows of all its one-pass folds at once: catch-ups from empty side by side, rebuilds. */
  private readonly memory: OnePassMemory;

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    readonly projections: readonly Projection[],
    private readonly options: RunnerOptions,
  ) {
    this.memory = new OnePassMemory(options.rebuildMemoryRows ?? DEFAULT_PROJECTION_MEMORY_ROWS);
    this.runners = projections.map((projection) => new ProjectionRunner(store, dataSource, projection, options, this.memory));
  }

  /** Runs each projection whose lock is free, stands by for the others; resolves after the first attempt at each. */
  async start(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.start()));
  }

  /** Graceful: each projection stops at a committed checkpoint, then its lock is released. */
  async stop(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
  }

  projection(name: string): Projection {
    const projection = this.projections.find((candidate) => candidate.name === name);
    if (!projection) {
      throw new UnknownProjectionError(`No projection named ${name}; known: ${this.projections.map((p) => p.name).join(', ')}`);
    }
    return projection;
  }

  /** Whether a rebuild of it runs, here or in another instance. */
  async isRebuilding(name: string): Promise<boolean> {
    return this.rebuilding.has(name) || (await grantedLocks(this.dataSource)).has(lockName(rebuildLockKey(name)));
  }

  /**
   * Rebuilds beside the live copy and switches atomically (rebuild.ts), in any instance, whether
   * it runs the projection or stands by: the switch locks the live checkpoint row, which pauses
   * the runner wherever it runs. One rebuild of a projection at a time across all instances
   * (its rebuild lock); RebuildInProgressError otherwise.
   */
  async rebuild(name: string, onProgress?: (progress: RebuildProgress) => void): Promise<RebuildResult> {
    return (await this.startRebuild(name, onProgress)).finished;
  }

  /**
   * Takes the projection's rebuild lock, then starts the rebuild: resolves once this instance
   * holds the lock, with the rebuild's outcome still to come in `finished`. Throws
   * RebuildInProgressError when a rebuild of it runs here or in another instance, so that of
   * several requests at once exactly one starts one, whichever instance each reaches.
   */
  async startRebuild(name: string, onProgress?: (progress: RebuildProgress) => void): Promise<{ finished: Promise<RebuildResult> }> {
    const projection = this.projection(name);
    if (this.rebuilding.has(name)) throw new RebuildInProgressError(`A rebuild of ${name} is already running`);
    this.rebuilding.add(name);
    const lock = new SessionLock(clientConfigOf(this.dataSource), rebuildLockKey(name), this.options.standbyRetryMs ?? DEFAULT_STANDBY_RETRY_MS);
    const letGo = async () => {
      await lock.release();
      this.rebuilding.delete(name);
    };
    try {
      if (!(await lock.tryAcquire())) throw new RebuildInProgressError(`A rebuild of ${name} is already running in another instance`);
    } catch (error) {
      await letGo();
      throw error;
    }
    const finished = (async () => {
      try {
        const result = await rebuildProjection(this.store, this.dataSource, projection, {
          batchSize: this.options.batchSize,
          onProgress,
          exclusive: () => lock.held,
          memory: this.memory,
        });
        // A projection stopped by a poisoned event runs again; its runner (if here) need not wait for its next look.
        this.runners.find((runner) => runner.projection.name === name)?.retryNow();
        return result;
      } finally {
        await letGo();
      }
    })();
    return { finished };
  }

  /**
   * Waits until the projection has applied every event of its streams recorded before this call,
   * so that a query of its read model sees them: true once it has, false if it has not within
   * `timeoutMs` (it is far behind, stopped, or run by a projector that is down).
   */
  async waitUntilCaughtUp(name: string, timeoutMs: number, pollMs = 100): Promise<boolean> {
    const { streamPrefixes } = this.projection(name);
    const head = await this.store.headPosition();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = (await this.dataSource.query(
        `SELECT position_commit::text, position_prepare::text FROM ${CHECKPOINT_TABLE} WHERE name = $1`,
        [name],
      )) as Pick<CheckpointRow, 'position_commit' | 'position_prepare'>[];
      const position = row ? positionOf(row) : START_OF_LOG;
      if (comparePositions(position, head) >= 0) return true;
      // Events of other streams may end the log: only the projection's own must have been applied.
      const [next] = await this.store.readAll({ after: position, maxCount: 1, streamPrefixes });
      if (!next || comparePositions(next.position, head) > 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  async statuses(): Promise<ProjectionStatus[]> {
    const names = this.runners.map((runner) => runner.projection.name);
    const lagCountCap = this.options.lagCountCap ?? DEFAULT_LAG_COUNT_CAP;
    const [head, rows, locks, safeForms] = await Promise.all([
      this.store.headPosition(),
      this.dataSource.query(
        `SELECT name, position_commit::text, position_prepare::text, state, error, error_position_commit::text,
                error_position_prepare::text, error_event_id::text, last_event_created_at, updated_at, owner, owner_since
           FROM ${CHECKPOINT_TABLE}`,
      ) as Promise<CheckpointRow[]>,
      grantedLocks(this.dataSource),
      this.safeForms(names),
    ]);
    return Promise.all(
      this.runners.map(async (runner) => {
        const { name, streamPrefixes } = runner.projection;
        const row = rows.find((candidate) => candidate.name === name);
        // A rebuild's checkpoint left behind by a process that died mid-rebuild is no rebuild.
        const rebuildRow = locks.has(lockName(rebuildLockKey(name)))
          ? rows.find((candidate) => candidate.name === rebuildCheckpointName(name))
          : undefined;
        const owned = locks.has(lockName(projectionLockKey(name)));
        const position = row ? positionOf(row) : START_OF_LOG;
        const pending =
          comparePositions(position, head) < 0
            ? await this.store.countAll({ after: position, upTo: lagCountCap, streamPrefixes })
            : NOTHING_PENDING;
        const stoppedHere = row?.state === 'stopped' ? row : undefined;
        const errorPosition = stoppedHere ? errorPositionOf(stoppedHere) : null;
        const state: ProjectionState = stoppedHere
          ? 'stopped'
          : rebuildRow
            ? 'rebuilding'
            : !owned
              ? 'standby'
              : pending.events > 0
                ? 'catching-up'
                : 'live';
        return {
          name,
          state,
          position: asText(position),
          head: asText(head),
          lagEvents: pending.events,
          lagCapped: pending.events === lagCountCap,
          lagSeconds: pending.oldestCreatedAt ? Math.max(0, (Date.now() - pending.oldestCreatedAt.getTime()) / 1000) : 0,
          error: stoppedHere
            ? { message: stoppedHere.error ?? 'stopped', eventId: stoppedHere.error_event_id, position: errorPosition ? asText(errorPosition) : null }
            : null,
          safeForms: safeForms.get(name) ?? { count: 0, events: [] },
          rebuild: rebuildRow ? { position: asText(positionOf(rebuildRow)) } : null,
          owner: owned ? (row?.owner ?? null) : null,
          ownerSince: owned && row?.owner_since ? row.owner_since.toISOString() : null,
          thisInstance: runner.role,
        };
      }),
    );
  }

  /** Per projection: how many events it stored in a safe form or left out, and the first SAFE_FORMS_LISTED of them. */
  private async safeForms(names: readonly string[]): Promise<Map<string, ProjectionStatus['safeForms']>> {
    const [counts, listed] = await Promise.all([
      this.dataSource.query(
        `SELECT checkpoint, count(*)::int AS count FROM ${SAFE_FORM_TABLE} WHERE checkpoint = ANY($1) GROUP BY checkpoint`,
        [names],
      ) as Promise<Array<{ checkpoint: string; count: number }>>,
      this.dataSource.query(
        `SELECT p.name, s.event_id::text, s.event_type, s.position_commit::text, s.position_prepare::text, s.fields, s.left_out
           FROM unnest($1::text[]) AS p (name)
           CROSS JOIN LATERAL (
             SELECT * FROM ${SAFE_FORM_TABLE} WHERE checkpoint = p.name ORDER BY position_commit, position_prepare LIMIT $2
           ) s`,
        [names, SAFE_FORMS_LISTED],
      ) as Promise<
        Array<{ name: string; event_id: string; event_type: string; position_commit: string; position_prepare: string; fields: SafeFormEntry['fields']; left_out: string | null }>
      >,
    ]);
    return new Map(
      names.map((name) => [
        name,
        {
          count: counts.find((row) => row.checkpoint === name)?.count ?? 0,
          events: listed
            .filter((row) => row.name === name)
            .map((row) => ({
              eventId: row.event_id,
              type: row.event_type,
              position: { commit: row.position_commit, prepare: row.position_prepare },
              fields: row.fields,
              leftOut: row.left_out,
            })),
        },
      ]),
    );
  }
}
