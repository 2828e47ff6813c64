import { applyDecorators, Body, Controller, Get, Inject, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AS_RECORDED, endOfMonth } from '@app/domain';
import { Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { problem } from '../http/problem';
import { validatedAs } from '../http/validation';
import { APP_CONFIG, CLOCK, todayIn, type AppConfig, type Clock } from '@app/platform';
import { jsonBody } from './json-body';
import { flowsCsv, funnelCsv, outlookCsv, renderCsv, revisionsCsv, stockCsv, stockOverTimeCsv, vdabCsv, type CsvDialect, type CsvTable } from './csv';
import {
  FlowStatisticsReader,
  MAX_PERIODS,
  periodsBetween,
  REVISION_QUESTIONS,
  type Interval,
  type Period,
  type Place,
  type RecordedAsOf,
  type RevisionQuestion,
} from '@app/read-models';
import { FlowsQuery, FunnelQuery, OutlookQuery, PeriodsQuery, RecordedOptions, RevisionsQuery, StatisticsSettingsDto, StockQuery, VdabQuery, type PlaceQuery } from './statistics.dto';
import { FlowsAnswer, FunnelAnswer, OutlookAnswer, RevisionsAnswer, StatisticsSettingsView, StockAnswer, StockOverTimeAnswer, VdabAnswer } from './statistics.views';

const ABOUT =
  'Aggregates only, from the flow-statistics read model (which follows the event store shortly behind; ' +
  'GET /projections shows its lag). Counted on business dates (when things happened), so a fact recorded ' +
  'late lands in its own period. Every number is a cell `{ "value": n, "suppressed": false }`; a cell ' +
  'counting 1 to suppressBelow-1 persons is `{ "value": null, "suppressed": true }`; zeros are shown. ' +
  'Send `Accept: text/csv` for CSV (one row per number; see docs/statistics.md), with `csvDialect=excel-be` for Excel with Belgian settings.';

/** JSON unless the client prefers CSV. */
function wantsCsv(request: Request): boolean {
  return request.accepts(['application/json', 'text/csv']) === 'text/csv';
}

function sendCsv(response: Response, filename: string, body: string): string {
  response.setHeader('Content-Type', 'text/csv; charset=utf-8');
  response.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  return body;
}

/** The view as JSON (its bytes written once per kept answer: json-body.ts), or as CSV in the dialect asked for when the client prefers CSV (Vary: Accept either way). */
function answer<T extends object>(request: Request, response: Response, view: T, filename: string, csv: (view: T) => CsvTable, dialect?: CsvDialect): string | Buffer {
  response.setHeader('Vary', 'Accept');
  return wantsCsv(request) ? sendCsv(response, filename, renderCsv(csv(view), dialect)) : jsonBody(response, view);
}

/** 200 with the answer as JSON, or CSV (long format, one row per number: docs/statistics.md). */
const AnswersJsonOrCsv = (model: new () => unknown, description: string) =>
  applyDecorators(
    ApiExtraModels(model),
    ApiOkResponse({
      description: `${description}; CSV with Accept: text/csv`,
      content: {
        'application/json': { schema: { $ref: getSchemaPath(model) } },
        'text/csv': { schema: { type: 'string', description: 'A header row, then one row per number (RFC 4180, CRLF); a suppressed number has an empty value' } },
      },
    }),
  );

/** A 400 naming the one field that cannot be answered, and why. */
const refused = (field: string, message: string) =>
  problem(400, 'validation-failed', 'Invalid request', `${message}.`, { errors: [{ field, messages: [message] }] });

/** The moment a question is answered as recorded at (null: now), and the business date that is its "today". */
type Recording = { at: RecordedAsOf; today: string };

/** The calendar periods of a flows or stock-over-time question, or why it cannot be answered. */
function periodsOf(query: { from: string; to: string; interval: Interval }): Period[] {
  if (query.to < query.from) throw refused('to', 'to must not be before from');
  const periods = periodsBetween(query.from, query.to, query.interval, MAX_PERIODS);
  if (!periods) {
    throw problem(400, 'too-many-periods', 'Too many periods', `At most ${MAX_PERIODS} periods per request; use a longer interval or a shorter range.`);
  }
  return periods;
}

/** The place and map a question asks for (default: registration, as recorded). */
const placeOf = (query: PlaceQuery): Place => ({ map: query.map ?? AS_RECORDED, by: query.by });

/** What a file name adds for a map or place other than the default. */
const placeSuffix = ({ map, by }: Place) => `${map === AS_RECORDED ? '' : `-map-${map}`}${by === 'registration' ? '' : `-by-${by}`}`;

/** The first and last registration months of a funnel's cohort (undefined: open), or why they cannot be. */
function cohortMonths(query: FunnelQuery): [string | undefined, string | undefined] {
  if (query.cohort !== undefined) {
    if (query.cohortFrom !== undefined || query.cohortTo !== undefined) throw refused('cohort', 'cohort is one month; not with cohortFrom or cohortTo');
    return [query.cohort, query.cohort];
  }
  if (query.cohortFrom !== undefined && query.cohortTo !== undefined && query.cohortTo < query.cohortFrom) {
    throw refused('cohortTo', 'cohortTo must not be before cohortFrom');
  }
  return [query.cohortFrom, query.cohortTo];
}

/** VDAB's pair on one date, or at the end of every period of a range: which was asked, or why it cannot be answered. */
function vdabDates(query: VdabQuery, today: string): { on: string | Period[]; range: { from: string; to: string; interval: Interval } | null } {
  if (query.from === undefined && query.to === undefined) return { on: query.on ?? today, range: null };
  if (query.on !== undefined) throw refused('on', 'on is one date; not with from or to');
  if (query.from === undefined || query.to === undefined) throw refused(query.from === undefined ? 'from' : 'to', 'from and to go together');
  const range = { from: query.from, to: query.to, interval: query.interval };
  return { on: periodsOf(range), range };
}

/** Each question's parameters, as its own operation takes them. */
const QUESTIONS: Record<RevisionQuestion, new () => RecordedOptions> = { stock: StockQuery, flows: FlowsQuery, funnel: FunnelQuery, outlook: OutlookQuery };

/**
 * Flow statistics for analysts (and staff and admins): stocks and flows, never a person. Auditors
 * work with single dossiers' histories and have no use for these, so they get 403.
 */
@ApiTags('statistics')
@ApiBearerAuth()
@Controller('statistics')
export class StatisticsController {
  constructor(
    private readonly statistics: FlowStatisticsReader,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The moment a question is asked as of (normalized: UTC, milliseconds; null: now) and the
   * business date it falls on, the answer's "today". A moment still to come has recorded nothing
   * yet that could be answered: refused.
   */
  private recording({ recordedAsOf }: RecordedOptions, field = 'recordedAsOf'): Recording {
    if (recordedAsOf === undefined) return { at: null, today: this.clock.today() };
    const moment = new Date(recordedAsOf);
    if (moment.getTime() > this.clock.now().getTime()) throw refused(field, `${field} must not be in the future`);
    return { at: moment.toISOString(), today: todayIn(this.config.timeZone, moment) };
  }

  // Each question's answer as recorded at a moment: its own operation's, and the revisions'.

  private stockAt(query: StockQuery, { at, today }: Recording) {
    return this.statistics.stock(query.asOf ?? today, query.groupBy, placeOf(query), at);
  }

  private flowsAt(query: FlowsQuery, { at }: Recording) {
    return this.statistics.flows(query.from, query.to, query.interval, query.groupBy, periodsOf(query), query.unit, placeOf(query), at);
  }

  private funnelAt(query: FunnelQuery, { at, today }: Recording) {
    const [from, to] = cohortMonths(query);
    const [start, end] = [from === undefined ? null : `${from}-01`, to === undefined ? null : endOfMonth(`${to}-01`)];
    return this.statistics.funnel({
      asOf: query.asOf ?? today,
      cohortStart: start,
      cohortEnd: end,
      residenceStatus: query.residenceStatus ?? null,
      groupBy: query.groupBy,
      place: placeOf(query),
      recordedAsOf: at,
    });
  }

  private outlookAt(query: OutlookQuery, { at, today }: Recording) {
    const rate = (text: string | undefined) => (text === undefined ? undefined : Number(text));
    const given = { arrivals: rate(query.arrivalRate), departures: rate(query.departureRate), transitions: rate(query.transitionRate) };
    const endDates = query.endDate?.length ? query.endDate : this.config.protectionEndDates;
    return this.statistics.outlook(endDates, today, query.groupBy, placeOf(query), given, at);
  }

  @Get('stock')
  @Roles('analyst', 'staff', 'admin')
  @ApiOperation({ summary: 'Active dossiers on a date, by stage and housing type, with ever-employed and employed-now', description: ABOUT })
  @AnswersJsonOrCsv(StockAnswer, 'The stock')
  @ApiBadRequestResponse({ description: 'A query parameter is invalid; `errors` lists each' })
  @ApiForbiddenResponse({ description: 'Only analyst, staff and admin' })
  async stock(@Query() query: StockQuery, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const view = await this.stockAt(query, this.recording(query));
    return answer(request, response, view, `stock-${view.asOf}-${view.groupBy}${placeSuffix(view)}.csv`, stockCsv, query.csvDialect);
  }

  @Get('stock-over-time')
  @Roles('analyst', 'staff', 'admin')
  @ApiOperation({
    summary: 'The stock on the last day of every month, quarter or year of a range, by stage and housing type',
    description:
      `${ABOUT} Each point is GET /statistics/stock on that date (the end of a calendar period, clipped to [from, to]); ` +
      `at most ${MAX_PERIODS} points. The dashboard's stock-over-time chart.`,
  })
  @AnswersJsonOrCsv(StockOverTimeAnswer, 'The stock at the end of every period')
  @ApiBadRequestResponse({ description: 'A query parameter is invalid, to is before from, or too many periods' })
  @ApiForbiddenResponse({ description: 'Only analyst, staff and admin' })
  async stockOverTime(@Query() query: PeriodsQuery, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const { at } = this.recording(query);
    const view = await this.statistics.stockOverTime(query.from, query.to, query.interval, query.groupBy, periodsOf(query), placeOf(query), at);
    const filename = `stock-${view.from}-${view.to}-${view.interval}-${view.groupBy}${placeSuffix(view)}.csv`;
    return answer(request, response, view, filename, stockOverTimeCsv, query.csvDialect);
  }

  @Get('flows')
  @Roles('analyst', 'staff', 'admin')
  @ApiOperation({
    summary:
      'Per period: registrations, housings, rehousings by reason, inburgering enrolments, VDAB registrations, ' +
      'employment starts and ends, departures by reason, reopenings, and the stock at the end of the period',
    description: `${ABOUT} Periods are calendar months, quarters or years, clipped to [from, to]; at most ${MAX_PERIODS}.`,
  })
  @AnswersJsonOrCsv(FlowsAnswer, 'The flows')
  @ApiBadRequestResponse({ description: 'A query parameter is invalid, to is before from, or too many periods' })
  @ApiForbiddenResponse({ description: 'Only analyst, staff and admin' })
  async flows(@Query() query: FlowsQuery, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const view = await this.flowsAt(query, this.recording(query));
    const unit = view.unit === 'events' ? '' : `-${view.unit}`;
    const filename = `flows-${view.from}-${view.to}-${view.interval}-${view.groupBy}${unit}${placeSuffix(view)}.csv`;
    return answer(request, response, view, filename, flowsCsv, query.csvDialect);
  }

  @Get('funnel')
  @Roles('analyst', 'staff', 'admin')
  @ApiOperation({
    summary: 'A registration cohort through registered → housed → inburgering → VDAB → employed: counts, conversion rates, median days',
    description:
      'The cohort: dossiers registered in that month (cohort), in a range of months (cohortFrom, cohortTo), or in any month (none of them). ' +
      'A step counts once it and every earlier step were reached by asOf, ' +
      'on the latest of their first dates. Rates and medians of a suppressed count are suppressed too. ' +
      'residenceStatus cuts the cohort to the persons with that residence status on asOf (a person who left keeps the status they left with). ' +
      'groupBy adds a funnel per province or municipality of registration, each suppressed on its own counts. The first step\'s rates are 1.',
  })
  @AnswersJsonOrCsv(FunnelAnswer, 'The funnel')
  @ApiBadRequestResponse({ description: 'A query parameter is invalid, cohort is given with cohortFrom or cohortTo, or cohortTo is before cohortFrom' })
  @ApiForbiddenResponse({ description: 'Only analyst, staff and admin' })
  async funnel(@Query() query: FunnelQuery, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const view = await this.funnelAt(query, this.recording(query));
    const cohort = view.cohort ?? `${view.cohortFrom ?? 'first'}-${view.cohortTo ?? 'last'}`;
    const cut = view.residenceStatus ? `-${view.residenceStatus}` : '';
    const filename = `funnel-${cohort}-${view.asOf}${cut}${view.groupBy === 'none' ? '' : `-${view.groupBy}`}${placeSuffix(view)}.csv`;
    return answer(request, response, view, filename, funnelCsv, query.csvDialect);
  }

  @Get('outlook')
  @Roles('analyst', 'staff', 'admin')
  @ApiOperation({
    summary: 'At each end date: active dossiers under temporary protection, transitioned (by status), and left; by stage and housing type, per group',
    description:
      'Observed (kind "observed") up to the last recorded business date, and for every end date that has passed ' +
      '(`endDatePassed`: today or before, answered with the situation recorded for that day); beyond both a projection ' +
      '(kind "projection", with its method) from the situation on the last business date, month by month, with one ' +
      'scenario of monthly rates: arrivalRate, departureRate and transitionRate, each the trailing six months observed ' +
      'unless given. `scenario` states each rate, its source and the observed inputs. Without endDate: the end dates of ' +
      'PROTECTION_END_DATES (default 2027-03-04). docs/statistics.md gives the method.',
  })
  @AnswersJsonOrCsv(OutlookAnswer, 'One scenario per end date')
  @ApiBadRequestResponse({ description: 'An end date is invalid, or more than 12; a rate is not a decimal from 0 to 1; groupBy is unknown' })
  @ApiForbiddenResponse({ description: 'Only analyst, staff and admin' })
  async outlook(@Query() query: OutlookQuery, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const view = await this.outlookAt(query, this.recording(query));
    const filename = `outlook-${view.scenarios.map((s) => s.endDate).join('_')}-${view.groupBy}${placeSuffix(view)}.csv`;
    return answer(request, response, view, filename, outlookCsv, query.csvDialect);
  }

  @Get('vdab')
  @Roles('analyst', 'staff', 'admin')
  @ApiOperation({
    summary: 'VDAB\'s pair: of the persons registered at VDAB by a date, how many ever had a job and how many have one on that date, with the shares',
    description:
      `${ABOUT} VDAB publishes it as "registered at VDAB since 1 March 2022: 19,124; ever employed 10,072 (52.7%); still working 6,678 (34.9%) on 31/12/2024". ` +
      'population=all (default) counts everyone registered at VDAB by the date, whether still here or gone, as VDAB does; population=active only those active on the date. ' +
      'A job ends with EmploymentEnded or with the person\'s departure. groupBy: the dimensions of every statistic (a province or municipality of registration on the date, ' +
      'sex, age band on the date) and cohort (year of the VDAB registration), in any combination; the groups add up to the total and are suppressed so that none can be worked out ' +
      'from it, and grouped by sex or age band across the groups against the answers one dimension coarser; a share is suppressed with either count it divides. ' +
      `from/to/interval: the pair at the end of every period (at most ${MAX_PERIODS}).`,
  })
  @AnswersJsonOrCsv(VdabAnswer, 'VDAB\'s pair')
  @ApiBadRequestResponse({ description: 'A query parameter is invalid, on is given with from/to, only one of from and to, to before from, or too many periods' })
  @ApiForbiddenResponse({ description: 'Only analyst, staff and admin' })
  async vdab(@Query() query: VdabQuery, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const { at, today } = this.recording(query);
    const { on, range } = vdabDates(query, today);
    const view = await this.statistics.vdab(on, range, query.population, query.groupBy, placeOf(query), at);
    const when = view.on ?? `${view.from}-${view.to}-${view.interval}`;
    const cut = `${view.population === 'all' ? '' : `-${view.population}`}${view.groupBy === 'none' ? '' : `-${view.groupBy.split(',').join('-')}`}`;
    return answer(request, response, view, `vdab-${when}${cut}${placeSuffix(view)}.csv`, vdabCsv, query.csvDialect);
  }

  @Get('revisions')
  @Roles('analyst', 'staff', 'admin')
  @ApiOperation({
    summary: 'Which cells of a question changed between two recording moments, by how much, and after how many late events',
    description:
      'The question (stock, flows, funnel or outlook) is answered as recorded at `from` and at `to` (each as recordedAsOf answers it, ' +
      'suppressed as any answer), and the cells that differ as shown are listed with before, after, change and the late events behind them ' +
      "(docs/statistics.md defines lateEvents). The question's own parameters come beside question, from and to, as its own operation takes " +
      'them, but a flows range as periodFrom and periodTo; not recordedAsOf. Two suppressed cells compare alike: a change never reveals a hidden value.',
  })
  @ApiQuery({ name: 'question', enum: REVISION_QUESTIONS })
  @ApiQuery({ name: 'from', type: String, description: 'The earlier recording moment (ISO 8601 with Z or an offset, or a date)', example: '2026-04-01T08:00:00Z' })
  @ApiQuery({ name: 'to', type: String, description: 'The later recording moment, not in the future', example: '2026-12-01T08:00:00Z' })
  @ApiQuery({ name: 'periodFrom', type: String, required: false, description: 'question=flows: its first business date (the from of GET /statistics/flows)' })
  @ApiQuery({ name: 'periodTo', type: String, required: false, description: 'question=flows: its last business date (the to of GET /statistics/flows)' })
  @AnswersJsonOrCsv(RevisionsAnswer, 'The changed cells')
  @ApiBadRequestResponse({ description: "A parameter is invalid or not the question's, to is not after from, or a moment is in the future" })
  @ApiForbiddenResponse({ description: 'Only analyst, staff and admin' })
  async revisions(@Query() sent: Record<string, unknown>, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const { question, from, to, periodFrom, periodTo, ...own } = sent;
    const revision = await validatedAs(RevisionsQuery, { question, from, to });
    if (own.recordedAsOf !== undefined) throw refused('recordedAsOf', 'recordedAsOf is not a parameter of revisions, which compare from and to');
    const flows = revision.question === 'flows';
    // Sent only: an absent parameter is no parameter (a flows range is the flows' from and to).
    const range = Object.fromEntries(Object.entries(flows ? { from: periodFrom, to: periodTo } : { periodFrom, periodTo }).filter(([, value]) => value !== undefined));
    const query = await validatedAs(QUESTIONS[revision.question], { ...own, ...range }, flows ? { from: 'periodFrom', to: 'periodTo' } : {});
    const [before, after] = [this.recording({ recordedAsOf: revision.from }, 'from'), this.recording({ recordedAsOf: revision.to }, 'to')];
    if (after.at! <= before.at!) throw refused('to', 'to must be after from');
    if (flows && (query as FlowsQuery).to < (query as FlowsQuery).from) throw refused('periodTo', 'periodTo must not be before periodFrom');
    const { csvDialect, ...asked } = query as RecordedOptions & Record<string, unknown>;
    const parameters = flows ? { ...asked, from: undefined, to: undefined, periodFrom: asked.from, periodTo: asked.to } : asked;
    const view = await this.statistics.revisions(
      revision.question,
      before.at!,
      after.at!,
      (query as StockQuery).groupBy,
      placeOf(query as StockQuery),
      JSON.parse(JSON.stringify(parameters)) as Record<string, unknown>,
      (at) => this.answerAt(revision.question, query, at === before.at ? before : after),
    );
    const moment = (at: string) => at.replace(/[-:.]/g, '');
    const place = placeOf(query as StockQuery);
    const filename = `revisions-${view.question}-${moment(view.from)}-${moment(view.to)}${placeSuffix(place)}.csv`;
    return answer(request, response, view, filename, (revised) => revisionsCsv({ ...revised, groupBy: (query as StockQuery).groupBy, ...place }), csvDialect);
  }

  private answerAt(question: RevisionQuestion, query: RecordedOptions, recording: Recording): Promise<{ suppressBelow: number }> {
    switch (question) {
      case 'stock':
        return this.stockAt(query as StockQuery, recording);
      case 'flows':
        return this.flowsAt(query as FlowsQuery, recording);
      case 'funnel':
        return this.funnelAt(query as FunnelQuery, recording);
      case 'outlook':
        return this.outlookAt(query as OutlookQuery, recording);
    }
  }

  @Get('settings')
  @Roles('admin')
  @ApiOperation({ summary: 'The suppression threshold (admin)' })
  @ApiOkResponse({ type: StatisticsSettingsView })
  settings() {
    return this.statistics.settings();
  }

  @Put('settings')
  @Roles('admin')
  @ApiOperation({ summary: 'Set the suppression threshold, 0..100 (admin); default 5' })
  @ApiOkResponse({ type: StatisticsSettingsView, description: 'The threshold now applied to every statistic' })
  @ApiBadRequestResponse({ description: 'suppressBelow is not an integer in 0..100' })
  updateSettings(@Body() body: StatisticsSettingsDto, @Req() request: Request & { principal: Principal }) {
    return this.statistics.updateSettings(body.suppressBelow, request.principal.subject);
  }
}
