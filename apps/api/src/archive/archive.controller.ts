import { once } from 'node:events';
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { AccessLog, type AuditedRequest } from '../audit/access-log';
import { ApiPurpose, oneDossier, ShowsPersonalData } from '../audit/shows-personal-data.decorator';
import { Roles } from '../auth/auth.decorators';
import { DossierRepository } from '@app/dossiers';
import { dossierIdPipe } from '../http/dossier-id.pipe';
import { problem } from '../http/problem';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { PageQuery } from '../http/page.query';
import { ArchiveListQuery, ArchiveRunRequest, PurgeRequest } from './archive.dto';
import { ArchiveReader } from '@app/read-models';
import { ArchiveRuns } from './archive-runs.service';
import {
  archivedDossier,
  ArchivedDossierView,
  archiveListItem,
  ArchivePageView,
  ArchiveRunPageView,
  archiveRunView,
  ArchiveRunView,
  PurgeOutcomeView,
} from './archive.views';
import { ArchiveExport } from './archive-export';

const notArchived = (dossierId: string) =>
  problem(404, 'dossier-not-archived', 'Dossier not archived', 'No archived dossier has this id; GET /dossiers/{id} shows dossiers in use.', { dossierId });

@ApiTags('archive')
@ApiBearerAuth()
@Controller('archive')
export class ArchiveController {
  constructor(
    private readonly runs: ArchiveRuns,
    private readonly reader: ArchiveReader,
    private readonly dossiers: DossierRepository,
    private readonly accessLog: AccessLog,
    private readonly exporter: ArchiveExport,
  ) {}

  @Post('runs')
  @Idempotent()
  @Roles('admin')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Archive every dossier whose person left before closedBefore, or every dossier (all, with a reason)',
    description:
      'Archived dossiers are read-only. Running the same request again archives only what is left; a run that stopped ' +
      'half-way is resumed under its own id. Waits up to 30 s for the archive index to include everything recorded before it.',
  })
  @ApiCreatedResponse({ type: ArchiveRunView, description: 'How many were archived, skipped and why' })
  @ApiBadRequestResponse({ description: 'Neither or both of closedBefore and all, or all without a reason' })
  @ApiConflictResponse({ description: 'The same run is being worked on' })
  @ApiServiceUnavailableResponse({ description: 'The archive index or the event store is not available' })
  async startRun(@Body() body: ArchiveRunRequest, @Req() request: AuditedRequest) {
    if (body.all && body.closedBefore !== undefined) {
      throw problem(400, 'validation-failed', 'Invalid request', 'One or more fields are invalid; see errors.', {
        errors: [{ field: 'all', messages: ['give either closedBefore or all, not both'] }],
      });
    }
    const { run, resumed } = await this.runs.run(
      { closedBefore: body.all ? null : body.closedBefore!, reason: body.reason ?? null },
      { actor: request.principal.subject, correlationId: request.correlationId },
    );
    return archiveRunView(run, resumed);
  }

  @Post('purge')
  @Idempotent()
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Erase the personal data of every archived dossier whose retainUntil has passed',
    description:
      'Each through POST /dossiers/{id}/erasure\'s command: the key is destroyed, PersonalDataErased recorded, the national ' +
      'register number released. The reason defaults to "Archive retention ended on <retainUntil>". Safe to repeat.',
  })
  @ApiOkResponse({ type: PurgeOutcomeView })
  @ApiServiceUnavailableResponse({ description: 'The archive index or the event store is not available' })
  purge(@Body() body: PurgeRequest, @Req() request: AuditedRequest) {
    return this.runs.purge(body.reason, { actor: request.principal.subject, correlationId: request.correlationId });
  }

  @Get('runs')
  @Roles('admin', 'auditor')
  @ApiOperation({ summary: 'Archive runs, newest first' })
  @ApiOkResponse({ type: ArchiveRunPageView })
  async listRuns(@Query() query: PageQuery) {
    const [runs, total] = await this.runs.list(query.page, query.pageSize);
    return { items: runs.map((run) => archiveRunView(run)), total, page: query.page, pageSize: query.pageSize };
  }

  @Get('runs/:runId')
  @Roles('admin', 'auditor')
  @ApiOperation({ summary: 'One archive run and how far it got' })
  @ApiOkResponse({ type: ArchiveRunView })
  @ApiNotFoundResponse({ description: 'No such run' })
  async getRun(@Param('runId', new ParseUUIDPipe({ errorHttpStatusCode: 404 })) runId: string) {
    const run = await this.runs.find(runId.toLowerCase());
    if (!run) throw problem(404, 'archive-run-not-found', 'Archive run not found', 'No archive run has this id.', { runId });
    return archiveRunView(run);
  }

  @Get('dossiers')
  @Roles('staff', 'auditor')
  @ApiOperation({
    summary: 'Archived dossiers, newest archive first; no personal data (names are in each archived dossier)',
    description: 'Answered from the dossier-archive read model, shortly behind the event store.',
  })
  @ApiOkResponse({ type: ArchivePageView })
  async list(@Query() query: ArchiveListQuery) {
    const [rows, total] = await this.reader.list(query);
    return { items: rows.map(archiveListItem), total, page: query.page, pageSize: query.pageSize };
  }

  @Get('dossiers/:id')
  @Roles('staff', 'auditor')
  @ShowsPersonalData(oneDossier)
  @ApiOperation({ summary: 'An archived dossier: as it stood when archived, with its complete history (from the events)' })
  @ApiOkResponse({ type: ArchivedDossierView })
  @ApiNotFoundResponse({ description: 'No archived dossier has this id' })
  async get(@Param('id', dossierIdPipe) id: string) {
    const archived = archivedDossier(await this.dossiers.load(id));
    if (!archived) throw notArchived(id);
    return archived;
  }

  @Get('export')
  @Roles('admin')
  @ApiPurpose()
  @ApiOperation({
    summary: 'Every archived dossier with its events, one JSON object per line, in dossier id order, for a successor system',
    description:
      'Each line is canonical JSON (keys sorted, no spaces) of the archived dossier as GET /archive/dossiers/{id} gives it, ' +
      'each event also with `storedData` where the stored form differs (encrypted personal data), so the hash chain can be ' +
      'checked (docs/tamper-evidence.md). The same archive exports to the same bytes. Recorded in the access log before it starts.',
  })
  @ApiOkResponse({
    description: 'The archive, one dossier a line (Content-Disposition: attachment)',
    content: {
      'application/x-ndjson': {
        schema: { type: 'string', description: 'Lines of canonical JSON, each an archived dossier as GET /archive/dossiers/{id} answers it, events with storedData' },
      },
    },
  })
  async export(@Req() request: AuditedRequest, @Res() response: Response): Promise<void> {
    const purpose = this.accessLog.purposeOf(request);
    const ids = await this.exporter.dossierIds();
    await this.accessLog.record(request, purpose, ids);
    response.status(200);
    response.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    response.setHeader('Content-Disposition', 'attachment; filename="dossier-archive.ndjson"');
    try {
      for await (const line of this.exporter.lines(ids)) {
        if (!response.write(line)) await Promise.race([once(response, 'drain'), once(response, 'close')]);
        if (response.destroyed) return;
      }
      response.end();
    } catch (error) {
      // Half an export must not look like a whole one: the connection is cut, not ended.
      if (!response.headersSent) throw error;
      response.destroy(error as Error);
    }
  }
}
