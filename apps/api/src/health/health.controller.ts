import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { Public } from '../auth/auth.decorators';
import { problem } from '../http/problem';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'The process is up' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'The service can serve: PostgreSQL and the event store answer' })
  @ApiOkResponse({ description: 'Ready' })
  @ApiServiceUnavailableResponse({ description: 'A dependency does not answer' })
  async ready() {
    const checks = await Promise.allSettled([this.dataSource.query('SELECT 1'), this.store.ping()]);
    const [database, eventStore] = checks.map((check) => (check.status === 'fulfilled' ? 'up' : 'down'));
    if (database === 'down' || eventStore === 'down') {
      throw problem(503, 'not-ready', 'Service unavailable', 'A dependency does not answer.', {
        checks: { database, eventStore },
      });
    }
    return { status: 'ok', checks: { database, eventStore } };
  }
}
