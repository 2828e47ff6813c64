import { Body, Controller, Get, Inject, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { problem } from '../http/problem';
import { CLOCK, type Clock } from '../infrastructure/clock';
import { flowsCsv, stockCsv } from './csv';
import { periodsBetween } from './periods';
import { FlowsQuery, FunnelQuery, MAX_PERIODS, OutlookQuery, StatisticsSettingsDto, StockQuery } from './statistics.dto';
import { APP_CONFIG } from '../infrastructure/app-config';
import type { AppConfig } from '@app/platform';
import { StatisticsService } from './statistics.service';

const ABOUT =
  'Aggregates only, from the flow-statistics read model (which follows the event store shortly behind; ' +
  'GET /projections shows its lag). Counted on business dates (when things happened), so a fact recorded ' +
  'late lands in its own period. Every number is a cell `{ "value": n, "suppressed": false }`; a cell ' +
  'counting 1 to suppressBelow-1 persons is `{ "value": null, "suppressed": true }`; zeros are shown. ' +
  'Send `Accept: text/csv` for CSV (one row per number; see docs/statistics.md).';

/** JSON unless the client prefers CSV. */
function wantsCsv(request: Request): boolean {
  return request.accepts(['application/json', 'text/csv']) === 'text/csv';
}

function sendCsv(response: Response, filename: string, body: string): string {
  response.setHeader('Content-Type', 'text/csv; charset=utf-8');
  response.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  return body;
}

/**
 * Flow statistics for analysts (and staff and admins): stocks and flows, never a person. Auditors
 * work with single dossiers' histories and have no use for these, so they get 403.
 */
@ApiTags('statistics')
@ApiBearerAuth()
@Controller('statistics')
export class StatisticsController {
  constructor(
    private readonly statistics: StatisticsService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('stock')
  @Roles('analyst', 'staff', 'admin')
  @ApiOperation({ summary: 'Active dossiers on a date, by stage and housing type, with ever-employed and employed-now', description: ABOUT })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'The stock; CSV with Accept: text/csv' })
  @ApiBadRequestResponse({ description: 'A query parameter is invalid; `errors` lists each' })
  @ApiForbiddenResponse({ description: 'Only analyst, staff and admin' })
  async stock(@Query() query: StockQuery, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    response.setHeader('Vary', 'Accept');
    const view = await this.statistics.stock(query.asOf ?? this.clock.today(), query.groupBy);
    return wantsCsv(request) ? sendCsv(response, `stock-${view.asOf}-${view.groupBy}.csv`, stockCsv(view)) : view;
  }

  @Get('flows')
  @Roles('analyst', 'staff', 'admin')
  @ApiOperation({
    summary:
      'Per period: registrations, housings, rehousings by reason, inburgering enrolments, VDAB registrations, ' +
      'employment starts and ends, departures by reason, reopenings, and the stock at the end of the period',
    description: `${ABOUT} Periods are calendar months, quarters or years, clipped to [from, to]; at most ${MAX_PERIODS}.`,
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'The flows; CSV with Accept: text/csv' })
  @ApiBadRequestResponse({ description: 'A query parameter is invalid, to is before from, or too many periods' })
  @ApiForbiddenResponse({ description: 'Only analyst, staff and admin' })
  async flows(@Query() query: FlowsQuery, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    if (query.to < query.from) {
      throw problem(400, 'validation-failed', 'Invalid request', 'to must not be before from.', {
        errors: [{ field: 'to', messages: ['to must not be before from'] }],
      });
    }
    const periods = periodsBetween(query.from, query.to, query.interval, MAX_PERIODS);
    if (!periods) {
      throw problem(400, 'too-many-periods', 'Too many periods', `At most ${MAX_PERIODS} periods per request; use a longer interval or a shorter range.`);
    }
    response.setHeader('Vary', 'Accept');
    const view = await this.statistics.flows(query.from, query.to, query.interval, query.groupBy, periods);
    return wantsCsv(request)
      ? sendCsv(response, `flows-${view.from}-${view.to}-${view.interval}-${view.groupBy}.csv`, flowsCsv(view))
      : view;
  }

  @Get('funnel')
  @Roles('analyst', 'staff', 'admin')
  @ApiOperation({
    summary: 'A registration cohort through registered → housed → inburgering → VDAB → employed: counts, conversion rates, median days',
    description:
      'The cohort: dossiers registered in that month. A step counts once it and every earlier step were reached by asOf, ' +
      'on the latest of their first dates. Rates and medians of a suppressed count are suppressed too.',
  })
  @ApiOkResponse({ description: 'The funnel' })
  @ApiBadRequestResponse({ description: 'A query parameter is invalid' })
  @ApiForbiddenResponse({ description: 'Only analyst, staff and admin' })
  funnel(@Query() query: FunnelQuery) {
    const [year, month] = query.cohort.split('-').map(Number);
    const end = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
    return this.statistics.funnel(query.asOf ?? this.clock.today(), `${query.cohort}-01`, end);
  }

  @Get('outlook')
  @Roles('analyst', 'staff', 'admin')
  @ApiOperation({
    summary: 'Dossiers still active at each end date, by stage and housing type',
    description:
      'Observed (kind "observed") up to the last recorded business date, and for every end date that has passed ' +
      '(`endDatePassed`: today or before, answered with the stock recorded for that day); beyond both a projection ' +
      'from the trailing 6-month outflow rate, labelled kind "projection" with its method. Without endDate: the ' +
      'scenarios of PROTECTION_END_DATES (default 2027-03-04).',
  })
  @ApiOkResponse({ description: 'One scenario per end date' })
  @ApiBadRequestResponse({ description: 'An end date is invalid, or more than 12' })
  @ApiForbiddenResponse({ description: 'Only analyst, staff and admin' })
  outlook(@Query() query: OutlookQuery) {
    return this.statistics.outlook(query.endDate?.length ? query.endDate : this.config.protectionEndDates, this.clock.today());
  }

  @Get('settings')
  @Roles('admin')
  @ApiOperation({ summary: 'The suppression threshold (admin)' })
  @ApiOkResponse({ description: '{ suppressBelow, updatedAt, updatedBy }' })
  settings() {
    return this.statistics.settings();
  }

  @Put('settings')
  @Roles('admin')
  @ApiOperation({ summary: 'Set the suppression threshold, 0..100 (admin); default 5' })
  @ApiOkResponse({ description: '{ suppressBelow, updatedAt, updatedBy }' })
  @ApiBadRequestResponse({ description: 'suppressBelow is not an integer in 0..100' })
  updateSettings(@Body() body: StatisticsSettingsDto, @Req() request: Request & { principal: Principal }) {
    return this.statistics.updateSettings(body.suppressBelow, request.principal.subject);
  }
}
