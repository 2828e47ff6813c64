import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { Public } from '../../auth/auth.decorators';
import { ProjectionEngineHost } from '@app/read-models';
import { Metrics } from './metrics';

@ApiTags('operations')
@Public()
@SkipThrottle()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    projections: ProjectionEngineHost,
  ) {
    metrics.observeProjections(async () =>
      (await projections.engine.statuses()).map((status) => ({
        name: status.name,
        state: status.state,
        position: status.position.commit,
        lagEvents: status.lagEvents,
        lagSeconds: status.lagSeconds,
        stoppedAt: status.error?.position?.commit ?? null,
        safeFormEvents: status.safeForms.count,
      })),
    );
  }

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics: HTTP latency by route and status, commands by outcome, appends, event-store errors, projection position, lag, stops and safe forms',
    description: 'No ids or personal data in any label. Keep it on the internal network: it needs no token.',
  })
  @ApiOkResponse({
    description: 'Prometheus text exposition format',
    content: { 'text/plain': { schema: { type: 'string', example: 'http_request_duration_seconds_bucket{le="0.05",method="GET",route="/dossiers/:id",status="200"} 42' } } },
  })
  async scrape(@Res() response: Response): Promise<void> {
    response.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
