import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { DossierNotFoundError, normaliseNationalRegisterNumber, type DossierCommand, type RegisterDossier } from '@app/domain';
import { deterministicUuid } from '@app/platform';
import { AccessLog, type AuditedRequest } from '../audit/access-log';
import { ShowsDossierReadHere } from '../audit/shows-personal-data.decorator';
import { Roles } from '../auth/auth.decorators';
import { dossierIdPipe } from '../http/dossier-id.pipe';
import { problem } from '../http/problem';
import {
  ChangeDossierCommand,
  changesBetween,
  dossierAt,
  dossierAtVersion,
  DossierRepository,
  RegisterDossierCommand,
  verifyChain,
  type CommandAccepted,
} from '@app/dossiers';
import { answerAccepted, CommandEndpoint, commandContext, dossierLocation, etag, type AuthenticatedRequest } from './command-endpoint';
import {
  CommandAcceptedDto,
  DatedDto,
  DiffQuery,
  DossierAtQuery,
  HousedDto,
  InburgeringEnrolledDto,
  LeftDto,
  RegisterDossierDto,
  RehousedDto,
  ReopenedDto,
  StatusChangedDto,
} from './dossier.dto';
import { ChainBrokenView, ChainIntactView, DiffView, dossierView, DossierView, historyEntry, HistoryView } from './dossier.views';
import { RESPONSE_HEADERS } from '../http/openapi';

@ApiTags('dossiers')
@ApiBearerAuth()
@Controller('dossiers')
export class DossiersController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly dossiers: DossierRepository,
    private readonly accessLog: AccessLog,
  ) {}

  @Post()
  // Adds Location to the 201 that @CommandEndpoint documents.
  @ApiResponse({ status: 201, type: CommandAcceptedDto, headers: { Location: RESPONSE_HEADERS.Location, ETag: RESPONSE_HEADERS.ETag } })
  @CommandEndpoint('Register a person under temporary protection')
  @ApiConflictResponse({ description: 'A rule forbids it, or the national register number is already registered' })
  async register(
    @Body() body: RegisterDossierDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommandAccepted> {
    const context = commandContext(request, { located: true });
    const command: RegisterDossier = {
      type: 'RegisterDossier',
      dossierId: deterministicUuid(`dossier/${context.commandId}`),
      person: {
        ...body.person,
        nationalRegisterNumber: body.person.nationalRegisterNumber
          ? normaliseNationalRegisterNumber(body.person.nationalRegisterNumber)
          : null,
      },
      protection: body.protection,
      municipality: body.municipality,
      householdId: body.householdId ?? null,
      registeredOn: body.registeredOn,
    };
    const accepted = await this.commandBus.execute(new RegisterDossierCommand(command, context));
    response.setHeader('Location', dossierLocation(accepted.dossierId));
    return answerAccepted(response, accepted);
  }

  @Post(':id/housed')
  @CommandEndpoint('Record that the person is housed')
  housed(@Param('id', dossierIdPipe) id: string, @Body() body: HousedDto, @Req() request: AuthenticatedRequest, @Res({ passthrough: true }) response: Response) {
    return this.change(id, { type: 'HousePerson', ...body }, request, response);
  }

  @Post(':id/rehoused')
  @CommandEndpoint('Record a move to other housing, with the reason')
  rehoused(@Param('id', dossierIdPipe) id: string, @Body() body: RehousedDto, @Req() request: AuthenticatedRequest, @Res({ passthrough: true }) response: Response) {
    return this.change(id, { type: 'RehousePerson', ...body }, request, response);
  }

  @Post(':id/inburgering-enrolled')
  @CommandEndpoint('Record enrolment in a voortraject or inburgeringstraject')
  inburgeringEnrolled(@Param('id', dossierIdPipe) id: string, @Body() body: InburgeringEnrolledDto, @Req() request: AuthenticatedRequest, @Res({ passthrough: true }) response: Response) {
    return this.change(id, { type: 'EnrolInInburgering', ...body }, request, response);
  }

  @Post(':id/vdab-registered')
  @CommandEndpoint('Record registration at VDAB')
  vdabRegistered(@Param('id', dossierIdPipe) id: string, @Body() body: DatedDto, @Req() request: AuthenticatedRequest, @Res({ passthrough: true }) response: Response) {
    return this.change(id, { type: 'RegisterAtVdab', ...body }, request, response);
  }

  @Post(':id/employment-started')
  @CommandEndpoint('Record the start of employment')
  employmentStarted(@Param('id', dossierIdPipe) id: string, @Body() body: DatedDto, @Req() request: AuthenticatedRequest, @Res({ passthrough: true }) response: Response) {
    return this.change(id, { type: 'StartEmployment', ...body }, request, response);
  }

  @Post(':id/employment-ended')
  @CommandEndpoint('Record the end of the current employment')
  employmentEnded(@Param('id', dossierIdPipe) id: string, @Body() body: DatedDto, @Req() request: AuthenticatedRequest, @Res({ passthrough: true }) response: Response) {
    return this.change(id, { type: 'EndEmployment', ...body }, request, response);
  }

  @Post(':id/left')
  @CommandEndpoint('Record that the person left, with the reason')
  left(@Param('id', dossierIdPipe) id: string, @Body() body: LeftDto, @Req() request: AuthenticatedRequest, @Res({ passthrough: true }) response: Response) {
    return this.change(id, { type: 'RecordDeparture', ...body }, request, response);
  }

  @Post(':id/reopened')
  @CommandEndpoint(
    'Reopen the dossier of a person who left and came back',
    undefined,
    'Back under temporary protection, unless `residenceStatus` names another status: then a ResidenceStatusChanged follows the DossierReopened on the same day.',
  )
  reopened(@Param('id', dossierIdPipe) id: string, @Body() body: ReopenedDto, @Req() request: AuthenticatedRequest, @Res({ passthrough: true }) response: Response) {
    const command = { type: 'ReopenDossier' as const, on: body.on, municipality: body.municipality ?? null, residenceStatus: body.residenceStatus ?? null };
    return this.change(id, command, request, response);
  }

  @Post(':id/status-changed')
  @CommandEndpoint(
    'Record that the person moved to another residence status and stays',
    undefined,
    'From `on` the person is no longer under temporary protection (or moves from one such status to another); the dossier stays ' +
      'active and its other facts go on being recorded. 409 `already-has-residence-status` for the status the person has, ' +
      '`date-before-current-state` before the current status began, `person-has-left` after a departure.',
  )
  statusChanged(@Param('id', dossierIdPipe) id: string, @Body() body: StatusChangedDto, @Req() request: AuthenticatedRequest, @Res({ passthrough: true }) response: Response) {
    return this.change(id, { type: 'ChangeResidenceStatus', on: body.on, status: body.status }, request, response);
  }

  @Get(':id')
  @ShowsDossierReadHere()
  @Roles('staff', 'admin', 'auditor')
  @ApiOperation({
    summary: 'The dossier as it stands now; with asOf, as the system knew it then; with validOn, as it stood that day',
  })
  @ApiOkResponse({ type: DossierView, headers: { ETag: { ...RESPONSE_HEADERS.ETag, description: `${RESPONSE_HEADERS.ETag.description}; only without asOf and validOn` } } })
  @ApiNotFoundResponse({ description: 'No such dossier, or it did not exist yet at that point in time' })
  @ApiConflictResponse({ description: 'An event of the dossier cannot be read as stored: altered behind the service\'s back (dossier-unreadable; verify names the version)' })
  async get(
    @Param('id', dossierIdPipe) id: string,
    @Query() query: DossierAtQuery,
    @Req() request: AuditedRequest,
    @Res({ passthrough: true }) response: Response,
  ) {
    const dossier = await this.loadShown(id, request);
    if (query.asOf === undefined && query.validOn === undefined) {
      response.setHeader('ETag', etag(dossier.version));
      return dossierView(dossier);
    }
    const then = dossierAt(dossier, query);
    if (!then) {
      throw problem(404, 'dossier-not-found', 'Dossier not found', 'The dossier did not exist yet at that point in time.', {
        dossierId: id,
        ...query,
      });
    }
    return { ...dossierView(then), ...query };
  }

  @Get(':id/verify')
  @Roles('auditor', 'admin')
  @ApiOperation({ summary: "Recompute the dossier's hash chain: intact, or the first version whose hash does not match" })
  @ApiExtraModels(ChainIntactView, ChainBrokenView)
  @ApiOkResponse({
    description: 'Intact up to the last version, or where the chain breaks',
    schema: { oneOf: [{ $ref: getSchemaPath(ChainIntactView) }, { $ref: getSchemaPath(ChainBrokenView) }] },
  })
  @ApiNotFoundResponse({ description: 'No such dossier' })
  async verify(@Param('id', dossierIdPipe) id: string) {
    const links = await this.dossiers.storedChain(id);
    if (links.length === 0) throw new DossierNotFoundError(id);
    return { dossierId: id, ...verifyChain(links) };
  }

  @Get(':id/diff')
  @ShowsDossierReadHere()
  @Roles('staff', 'admin', 'auditor')
  @ApiOperation({ summary: 'What changed between two versions of the dossier, and the events that changed it' })
  @ApiOkResponse({ type: DiffView })
  @ApiBadRequestResponse({ description: 'from is not below to, or to is past the current version (invalid-version-range)' })
  @ApiNotFoundResponse({ description: 'No such dossier' })
  @ApiConflictResponse({ description: 'An event of the dossier cannot be read as stored: altered behind the service\'s back (dossier-unreadable; verify names the version)' })
  async diff(@Param('id', dossierIdPipe) id: string, @Query() query: DiffQuery, @Req() request: AuditedRequest) {
    const dossier = await this.loadShown(id, request);
    if (query.from >= query.to || query.to > dossier.version) {
      throw problem(400, 'invalid-version-range', 'Invalid version range', `Ask for 0 <= from < to <= ${dossier.version}, the current version.`, {
        currentVersion: dossier.version,
      });
    }
    const before = query.from === 0 ? {} : dossierView(dossierAtVersion(dossier, query.from));
    const after = dossierView(dossierAtVersion(dossier, query.to));
    return {
      dossierId: id,
      from: query.from,
      to: query.to,
      changes: changesBetween(before, after),
      events: dossier.events.filter((e) => e.version > query.from && e.version <= query.to).map(historyEntry),
    };
  }

  @Get(':id/history')
  @ShowsDossierReadHere()
  @Roles('staff', 'admin', 'auditor')
  @ApiOperation({ summary: 'Every event of the dossier in order: what, when it happened, when and by whom recorded' })
  @ApiOkResponse({ type: HistoryView, headers: { ETag: RESPONSE_HEADERS.ETag } })
  @ApiNotFoundResponse({ description: 'No such dossier' })
  @ApiConflictResponse({ description: 'An event of the dossier cannot be read as stored: altered behind the service\'s back (dossier-unreadable; verify names the version)' })
  async history(@Param('id', dossierIdPipe) id: string, @Req() request: AuditedRequest, @Res({ passthrough: true }) response: Response) {
    const dossier = await this.loadShown(id, request);
    response.setHeader('ETag', etag(dossier.version));
    return { dossierId: id, events: dossier.events.map(historyEntry) };
  }

  /** The dossier whose personal data the answer shows, its access-log record written with the read (AccessLog.shownWithRead). */
  private loadShown(id: string, request: AuditedRequest) {
    return this.accessLog.shownWithRead(request, [id], async (statement) => {
      const { dossier, written } = await this.dossiers.loadWith(id, statement);
      if (dossier.version === 0) throw new DossierNotFoundError(id);
      return { shown: dossier, written };
    });
  }

  private async change(
    dossierId: string,
    command: Exclude<DossierCommand, RegisterDossier>,
    request: AuthenticatedRequest,
    response: Response,
  ): Promise<CommandAccepted> {
    return answerAccepted(response, await this.commandBus.execute(new ChangeDossierCommand(dossierId, command, commandContext(request))));
  }
}
