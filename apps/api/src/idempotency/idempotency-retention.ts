import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, errorKind, type AppConfig } from '@app/platform';

/** Rows per DELETE, so that a first clean-up of a large table takes no long lock. */
const BATCH = 10_000;
const EVERY_MS = 60 * 60 * 1000;

/**
 * Removes Idempotency-Keys and their stored answers once IDEMPOTENCY_RETENTION has passed since
 * the request: a client retries within minutes, not weeks, and the table would otherwise grow
 * with every command. Runs at start and every hour in every API instance; removing the same rows
 * twice is harmless. A claim still in progress (its lease not yet run out) is never removed.
 */
@Injectable()
export class IdempotencyRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Idempotency');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const run = () => {
      this.running ??= this.purge()
        // The next hour tries again.
        .catch((error: unknown) => this.logger.warn(`Removing old idempotency keys failed (${errorKind(error)})`))
        .finally(() => (this.running = undefined));
    };
    run();
    this.timer = setInterval(run, EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Removes what is past retention; returns how many keys. */
  async purge(): Promise<number> {
    let removed = 0;
    for (;;) {
      // PostgreSQL reads an ISO 8601 duration (P30D, P1Y6M) as an interval.
      const [, count] = (await this.dataSource.query(
        `DELETE FROM idempotency_keys WHERE ctid IN (
           SELECT ctid FROM idempotency_keys
            WHERE created_at < now() - $1::interval AND (state = 'completed' OR lease_until < now())
            LIMIT ${BATCH})`,
        [this.config.idempotencyRetention],
      )) as [unknown, number];
      removed += count;
      if (count < BATCH) break;
    }
    if (removed > 0) this.logger.log(`Removed ${removed} idempotency keys older than ${this.config.idempotencyRetention}`);
    return removed;
  }
}
