import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { addDateDuration, DossierRuleViolation, type ArchiveDossier } from '@app/domain';
import { EventStoreUnavailableError } from '@app/event-store';
import { ArchiveRun } from '@app/persistence';
import { ArchiveReader, DOSSIER_ARCHIVE, ProjectionEngineHost } from '@app/read-models';
import { problem, toProblem } from '../http/problem';
import { APP_CONFIG, CLOCK, deterministicUuid, errorKind, type AppConfig, type Clock } from '@app/platform';
import { ChangeDossierCommand, ErasePersonalDataCommand } from '@app/dossiers';

/** Dossiers per page of a run; the run's progress and lease are saved after each. */
const PAGE = 200;
/** A run that has not saved progress for this long is presumed dead and may be resumed. */
const LEASE_SECONDS = 60;
/** How long a run waits for the archive index to include everything recorded before it. */
const CATCH_UP_MS = 30_000;
const MAX_FAILURES_KEPT = 100;

/**
 * What a run or purge says about a dossier that failed: the problem's text a client sending that
 * dossier's command would have been given, never the error's own message (a driver's message can
 * quote the data it refused).
 */
function failureText(error: unknown): string {
  const { title, detail } = toProblem(error);
  return detail ?? title;
}

export interface ArchiveRunCriteria {
  readonly closedBefore: string | null;
  readonly reason: string | null;
}

export interface Requester {
  readonly actor: string;
  readonly correlationId: string;
}

export interface PurgeOutcome {
  /** The day retention is measured against: retainUntil before it has ended. */
  readonly today: string;
  readonly erased: number;
  /** Already erased meanwhile, by someone else. */
  readonly alreadyErased: number;
  readonly failed: number;
  readonly failures: Array<{ dossierId: string; error: string }>;
}

/**
 * Archive runs: every dossier the criterion selects gets the ArchiveDossier command, through the
 * same command path (and rules) as any other change. The archive index says which dossiers to
 * try; the dossier's own events decide. Each dossier's command id derives from the run, so a
 * resumed run never archives a dossier twice.
 */
@Injectable()
export class ArchiveRuns {
  private readonly logger = new Logger('ArchiveRuns');

  constructor(
    private readonly dataSource: DataSource,
    private readonly commandBus: CommandBus,
    private readonly reader: ArchiveReader,
    private readonly projections: ProjectionEngineHost,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(criteria: ArchiveRunCriteria, requester: Requester): Promise<{ run: ArchiveRun; resumed: boolean }> {
    await this.requireIndexCaughtUp();
    const { run, resumed } = await this.claim(criteria, requester.actor);
    const command: Omit<ArchiveDossier, 'on'> = {
      type: 'ArchiveDossier',
      runId: run.id,
      closedBefore: run.closedBefore,
      reason: run.reason,
      retainUntil: run.retainUntil,
    };
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const candidates = await this.reader.runCandidates(run.closedBefore, after, PAGE);
      if (candidates.length === 0) break;
      const progress = { archived: 0, failures: [] as Array<{ dossierId: string; error: string }> };
      try {
        for (const dossierId of candidates) {
          try {
            await this.commandBus.execute(
              new ChangeDossierCommand(
                dossierId,
                { ...command, on: this.clock.today() },
                { actor: requester.actor, correlationId: requester.correlationId, commandId: deterministicUuid(`archive-run/${run.id}/${dossierId}`) },
              ),
            );
            progress.archived++;
          } catch (error) {
            if (error instanceof EventStoreUnavailableError) throw error;
            // Changed since the index saw it (archived, reopened): the rule leaves it out; counted at the end.
            if (error instanceof DossierRuleViolation) continue;
            progress.failures.push({ dossierId, error: this.failed('Archive run', dossierId, error) });
          }
        }
      } finally {
        await this.saveProgress(run, progress);
      }
      after = candidates[candidates.length - 1];
    }
    // Let the index show this run's own archiving, so what it left alone is counted right.
    await this.projections.engine.waitUntilCaughtUp(DOSSIER_ARCHIVE, CATCH_UP_MS);
    run.skipped = await this.reader.leftAlone(run.closedBefore, run.id);
    run.status = 'completed';
    run.finishedAt = new Date();
    await this.dataSource.getRepository(ArchiveRun).save(run);
    return { run, resumed };
  }

  /**
   * Erases the personal data of every archived dossier whose retention has ended (retainUntil
   * before today), through the erasure command. Safe to repeat: what was erased is not chosen
   * again, and each dossier's command id derives from the dossier and its retainUntil.
   */
  async purge(reason: string | undefined, requester: Requester): Promise<PurgeOutcome> {
    await this.requireIndexCaughtUp();
    const today = this.clock.today();
    const outcome = { today, erased: 0, alreadyErased: 0, failed: 0, failures: [] as Array<{ dossierId: string; error: string }> };
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const candidates = await this.reader.purgeCandidates(today, after, PAGE);
      if (candidates.length === 0) break;
      for (const { dossierId, retainUntil } of candidates) {
        const context = {
          actor: requester.actor,
          correlationId: requester.correlationId,
          commandId: deterministicUuid(`archive-purge/${dossierId}/${retainUntil}`),
        };
        try {
          await this.commandBus.execute(
            new ErasePersonalDataCommand(dossierId, reason ?? `Archive retention ended on ${retainUntil}`, context),
          );
          outcome.erased++;
        } catch (error) {
          if (error instanceof EventStoreUnavailableError) throw error;
          if (error instanceof DossierRuleViolation && error.rule === 'personal-data-already-erased') {
            outcome.alreadyErased++;
            continue;
          }
          outcome.failed++;
          const failure = { dossierId, error: this.failed('Purge', dossierId, error) };
          if (outcome.failures.length < MAX_FAILURES_KEPT) outcome.failures.push(failure);
        }
      }
      after = candidates[candidates.length - 1].dossierId;
    }
    return outcome;
  }

  /** Logs the kind of error (never its text, which may quote data) and answers what the client may read. */
  private failed(what: string, dossierId: string, error: unknown): string {
    this.logger.error(`${what}: dossier ${dossierId} failed (${errorKind(error)})`);
    return failureText(error);
  }

  async find(runId: string): Promise<ArchiveRun | null> {
    return this.dataSource.getRepository(ArchiveRun).findOneBy({ id: runId });
  }

  async list(page: number, pageSize: number): Promise<[ArchiveRun[], number]> {
    return this.dataSource
      .getRepository(ArchiveRun)
      .findAndCount({ order: { startedAt: 'DESC', id: 'DESC' }, skip: (page - 1) * pageSize, take: pageSize });
  }

  async requireIndexCaughtUp(): Promise<void> {
    if (!(await this.projections.engine.waitUntilCaughtUp(DOSSIER_ARCHIVE, CATCH_UP_MS))) {
      throw problem(
        503,
        'archive-index-behind',
        'Archive index behind',
        `The ${DOSSIER_ARCHIVE} projection has not caught up with the event store; GET /projections shows why. Try again once it has.`,
        { projection: DOSSIER_ARCHIVE },
      );
    }
  }

  /** The unfinished run with the same criteria whose lease ran out, resumed; else a new run. */
  private async claim(criteria: ArchiveRunCriteria, actor: string): Promise<{ run: ArchiveRun; resumed: boolean }> {
    const repository = this.dataSource.getRepository(ArchiveRun);
    // TypeORM answers an UPDATE … RETURNING with [rows, affected].
    const [resumable] = (await this.dataSource.query(
      `UPDATE archive_runs SET lease_until = now() + make_interval(secs => $4)
        WHERE id = (SELECT id FROM archive_runs
                     WHERE status = 'running' AND closed_before IS NOT DISTINCT FROM $1::date AND all_dossiers = $2
                       AND reason IS NOT DISTINCT FROM $3 AND lease_until < now()
                     ORDER BY started_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [criteria.closedBefore, criteria.closedBefore === null, criteria.reason, LEASE_SECONDS],
    )) as [Array<{ id: string }>, number];
    const resumedId = resumable[0]?.id;
    if (resumedId) return { run: await repository.findOneByOrFail({ id: resumedId }), resumed: true };
    const busy = await this.dataSource.query(
      `SELECT id FROM archive_runs WHERE status = 'running' AND closed_before IS NOT DISTINCT FROM $1::date
          AND all_dossiers = $2 AND reason IS NOT DISTINCT FROM $3 AND lease_until >= now() LIMIT 1`,
      [criteria.closedBefore, criteria.closedBefore === null, criteria.reason],
    );
    if (busy.length > 0) {
      throw problem(409, 'archive-run-in-progress', 'Archive run in progress', 'The same archive run is being worked on; see its progress at GET /archive/runs/{runId}.', {
        runId: busy[0].id,
      });
    }
    const today = this.clock.today();
    const run = repository.create({
      id: randomUUID(),
      requestedBy: actor,
      startedAt: this.clock.now(),
      closedBefore: criteria.closedBefore,
      allDossiers: criteria.closedBefore === null,
      reason: criteria.reason,
      retention: this.config.archiveRetention,
      retainUntil: addDateDuration(today, this.config.archiveRetention),
      status: 'running',
      archived: 0,
      skipped: {},
      failures: [],
      failed: 0,
      leaseUntil: new Date(Date.now() + LEASE_SECONDS * 1000),
      finishedAt: null,
    });
    await repository.insert(run);
    return { run, resumed: false };
  }

  private async saveProgress(run: ArchiveRun, progress: { archived: number; failures: Array<{ dossierId: string; error: string }> }): Promise<void> {
    run.archived += progress.archived;
    run.failed += progress.failures.length;
    run.failures = [...run.failures, ...progress.failures].slice(0, MAX_FAILURES_KEPT);
    run.leaseUntil = new Date(Date.now() + LEASE_SECONDS * 1000);
    await this.dataSource.getRepository(ArchiveRun).save(run);
  }
}
