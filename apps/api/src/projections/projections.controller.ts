import { Controller, Get, HttpCode, Logger, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { errorDescription } from '@app/platform';
import { RebuildInProgressError, UnknownProjectionError, type ProjectionEngine } from '@app/projection-engine';
import { Roles } from '../auth/auth.decorators';
import { problem } from '../http/problem';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ProjectionEngineHost } from '@app/read-models';

class PositionView {
  @ApiProperty({ example: '1042' }) commit: string;
  @ApiProperty({ example: '1042' }) prepare: string;
}

class SafeFormFieldView {
  @ApiProperty({ example: 'crt_dossiers.given_name', description: 'Where the stand-in is: table.column' }) field: string;
  @ApiProperty({
    enum: ['U+FFFD', 'NULL', 'commit time'],
    description: 'U+FFFD: each U+0000 or unpaired surrogate of the text replaced by it; NULL: a date or id PostgreSQL has not; commit time: a timestamp PostgreSQL has not, replaced by when the store committed the event',
  })
  storedAs: string;
}

class SafeFormEventView {
  @ApiProperty({ format: 'uuid' }) eventId: string;
  @ApiProperty({ example: 'DossierRegistered' }) type: string;
  @ApiProperty({ type: PositionView }) position: PositionView;
  @ApiProperty({ type: [SafeFormFieldView], description: 'The values stored in a safe form; empty when the event was left out' })
  fields: SafeFormFieldView[];
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'MalformedEventError: DossierRegistered: data.nationality is not a string',
    description: 'Why the event was left out (it cannot be read, or a statistic cannot place it), by kind of error and field, never a value; null when it was stored in a safe form',
  })
  leftOut: string | null;
}

class SafeFormsView {
  @ApiProperty({ description: 'Events stored in a safe form or left out' }) count: number;
  @ApiProperty({ type: [SafeFormEventView], description: 'The first 100 of them, in log order' }) events: SafeFormEventView[];
}

class ProjectionErrorView {
  @ApiProperty({
    example: 'Projection crt-registry stopped at event 0f6c… (DossierRegistered, stream dossier-… version 1, position 1042/1042): QueryFailedError 42703 (table read_models.crt_dossiers, column …)',
    description: "The event and what failed: the error's class, SQLSTATE and the table, column or constraint; never the error's message, which can quote data",
  })
  message: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The event it stopped at' }) eventId: string | null;
  @ApiProperty({ type: PositionView, nullable: true }) position: PositionView | null;
}

class ProjectionStatusView {
  @ApiProperty({ example: 'crt-registry' }) name: string;
  @ApiProperty({
    enum: ['catching-up', 'live', 'stopped', 'rebuilding', 'standby'],
    description: "'standby': no instance runs it at the moment (none holds its lock), so its read model is not being kept up to date",
  })
  state: string;
  @ApiProperty({ type: PositionView }) position: PositionView;
  @ApiProperty({ type: PositionView, description: 'Last event in the store' }) head: PositionView;
  @ApiProperty({ description: 'Events of its streams not applied yet (counted up to 10,000)' }) lagEvents: number;
  @ApiProperty() lagCapped: boolean;
  @ApiProperty({ description: 'Age of the oldest event not applied yet; 0 when up to date' }) lagSeconds: number;
  @ApiProperty({
    nullable: true,
    type: ProjectionErrorView,
    description: 'Why it stopped, and at which event (a bug: data PostgreSQL cannot store goes in a safe form instead, see safeForms)',
  })
  error: ProjectionErrorView | null;
  @ApiProperty({
    type: SafeFormsView,
    description: 'Events whose values PostgreSQL cannot store (stored in a safe form) or that cannot be read (left out); see docs/projections.md',
  })
  safeForms: SafeFormsView;
  @ApiProperty({ nullable: true, description: 'Progress of a rebuild running beside the live copy' })
  rebuild: { position: PositionView } | null;
  @ApiProperty({ nullable: true, type: String, example: 'projector-7f9c:41', description: 'The instance running it (host:pid); null when none does' })
  owner: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'Since when that instance has run it' })
  ownerSince: string | null;
  @ApiProperty({
    enum: ['active', 'standby', 'off'],
    description: "The answering instance's part: runs it, stands by to take over, or runs no projections (PROJECTIONS_IN_PROCESS=false)",
  })
  thisInstance: string;
}

class RebuildStartedView {
  @ApiProperty({ example: 'crt-registry' }) projection: string;
  @ApiProperty({ enum: ['rebuilding'] }) state: string;
}

@ApiTags('projections')
@ApiBearerAuth()
@Roles('admin')
@Controller('projections')
export class ProjectionsController {
  private readonly logger = new Logger('Projections');

  constructor(private readonly host: ProjectionEngineHost) {}

  @Get()
  @ApiOperation({ summary: "Each projection's position, the store's head, lag and state" })
  @ApiOkResponse({ type: [ProjectionStatusView] })
  statuses() {
    return this.host.engine.statuses();
  }

  @Post(':name/rebuild')
  @Idempotent()
  @HttpCode(202)
  @ApiOperation({ summary: 'Rebuild a projection from the start of the log beside the live copy, then switch atomically' })
  @ApiAcceptedResponse({ type: RebuildStartedView, description: 'Started; follow it in GET /projections (state rebuilding)' })
  @ApiNotFoundResponse({ description: 'No such projection' })
  @ApiConflictResponse({ description: 'A rebuild of it is already running, in this instance or another' })
  async rebuild(@Param('name') name: string) {
    try {
      this.host.engine.projection(name);
    } catch (error) {
      if (error instanceof UnknownProjectionError) throw problem(404, 'projection-not-found', 'Projection not found', error.message);
      throw error;
    }
    let started: Awaited<ReturnType<ProjectionEngine['startRebuild']>>;
    try {
      // Answers once this instance holds the rebuild lock (in PostgreSQL): of requests at once, on any instance, one gets 202.
      started = await this.host.engine.startRebuild(name);
    } catch (error) {
      if (!(error instanceof RebuildInProgressError)) throw error;
      throw problem(409, 'rebuild-in-progress', 'Rebuild in progress', `A rebuild of ${name} is already running.`, {
        rule: 'rebuild-in-progress',
      });
    }
    // Runs on after the answer: a rebuild takes as long as the log is long.
    started.finished.then(
      (result) => this.logger.log(`Rebuilt ${name}: ${result.applied} events in ${result.seconds.toFixed(1)} s`),
      // What failed, never the message, which may quote the event that failed (the CLI's rebuild prints it to its operator).
      (error: unknown) => this.logger.error(`Rebuild of ${name} failed: ${errorDescription(error)}`),
    );
    return { projection: name, state: 'rebuilding' };
  }
}
