import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags, type ApiPropertyOptions } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { DataSource } from 'typeorm';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { Public } from '../../auth/auth.decorators';
import { problem } from '../../http/problem';
import { APP_CONFIG, type AppConfig } from '@app/platform';
import { ProjectionEngineHost } from '@app/read-models';

/** A check that may hang (a store that does not answer) is down after this long. */
const CHECK_TIMEOUT_MS = 3000;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const INDICATORS: ApiPropertyOptions = {
  type: 'object',
  description: 'Per check (database, eventStore, projections): its status and what it found',
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    required: ['status'],
    additionalProperties: true,
  },
};

/** Terminus's answer (HealthCheckResult). */
class HealthView {
  @ApiProperty({ enum: ['ok'] }) status: string;
  @ApiProperty({ ...INDICATORS, description: 'The checks that are up' } as ApiPropertyOptions) info: object;
  @ApiProperty({ ...INDICATORS, description: 'The checks that are down (none in a 200)' } as ApiPropertyOptions) error: object;
  @ApiProperty(INDICATORS) details: object;
}

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly projections: ProjectionEngineHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('live')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'The process is up (nothing else is checked)' })
  @ApiOkResponse({ type: HealthView, description: 'Up; no check is made, so info, error and details are empty' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary:
      'The service can serve: PostgreSQL and the event store answer, and no running projection lags behind READY_MAX_PROJECTION_LAG_SECONDS. ' +
      'A stopped projection does not make it unready (every instance shares it: see docs/operations.md); it is an alert (projection_stopped_event_position, GET /projections)',
  })
  @ApiOkResponse({ type: HealthView, description: 'Ready: database, eventStore and projections are up' })
  @ApiServiceUnavailableResponse({ description: 'problem+json `not-ready` with `checks`: the result of each check' })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.probe('database', () => this.dataSource.query('SELECT 1')),
        () => this.probe('eventStore', () => this.store.ping()),
        () => this.projectionsCheck(),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      throw problem(503, 'not-ready', 'Service unavailable', 'A dependency does not answer, or a running projection is too far behind.', {
        checks: error.getResponse(),
      });
    }
  }

  private async probe(key: string, call: () => Promise<unknown>) {
    const check = this.indicators.check(key);
    try {
      await within(call(), CHECK_TIMEOUT_MS);
      return check.up();
    } catch {
      // The error text may name hosts or quote SQL: the check says down, the log says why.
      return check.down();
    }
  }

  /**
   * Down while a running projection lags too far (an instance catching up after a restart, a
   * projector that cannot keep up). A stopped projection does not count: it stopped at an event
   * for every instance alike, so failing readiness would take every instance out of the load
   * balancer, writes and all, for one dossier's read model. It shows here, and is an alert
   * (the projection_stopped_event_position metric, GET /projections).
   */
  private async projectionsCheck() {
    const check = this.indicators.check('projections');
    const limit = this.config.readyMaxProjectionLagSeconds;
    try {
      const statuses = await within(this.projections.engine.statuses(), CHECK_TIMEOUT_MS);
      const behind = statuses.filter((status) => status.state !== 'stopped' && status.lagSeconds > limit);
      const summary = Object.fromEntries(
        statuses.map((s) => [
          s.name,
          { state: s.state, lagSeconds: Math.round(s.lagSeconds), ...(s.error ? { stoppedAt: { eventId: s.error.eventId, position: s.error.position } } : {}) },
        ]),
      );
      return behind.length === 0 ? check.up({ maxLagSeconds: limit, ...summary }) : check.down({ maxLagSeconds: limit, ...summary });
    } catch {
      return check.down();
    }
  }
}
