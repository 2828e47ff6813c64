import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { defaultMunicipalityDirectory } from '@app/domain';
import { Roles } from '../auth/auth.decorators';
import { problem } from '../http/problem';
import { CrtRegistryReader } from '@app/read-models';
import { ListDossiersQuery } from './registry.dto';
import { municipalitySummary, MunicipalitySummaryView, registryItem, RegistryPageView } from './registry.views';
import { AccessLog, type AuditedRequest } from '../audit/access-log';
import { ApiPurpose } from '../audit/shows-personal-data.decorator';

const EVENTUALLY_CONSISTENT =
  'Answered from the crt-registry read model, which follows the event store shortly behind: a change ' +
  'is visible here once the projection has applied it (GET /projections shows its lag). ' +
  'GET /dossiers/{id} always reads the dossier itself.';

/**
 * The CRT registry: the list of dossiers and per-municipality counts, for staff and auditors.
 * It holds personal data, so analysts use the statistics instead. Beside DossiersController,
 * which owns /dossiers/{id}; GET /dossiers itself is only here.
 */
@ApiTags('registry')
@ApiBearerAuth()
@Roles('staff', 'admin', 'auditor')
@Controller()
export class RegistryController {
  constructor(
    private readonly registry: CrtRegistryReader,
    private readonly accessLog: AccessLog,
  ) {}

  @Get('dossiers')
  // Recorded in the access log by the page's own statement (AccessLog.shownWithPage), not by an interceptor.
  @ApiPurpose()
  @ApiOperation({ summary: 'Search and page through the dossiers, one row each', description: EVENTUALLY_CONSISTENT })
  @ApiOkResponse({ type: RegistryPageView })
  @ApiBadRequestResponse({ description: 'A query parameter is invalid; `errors` lists each' })
  @ApiForbiddenResponse({ description: 'Only staff, admin and auditor see personal data' })
  async list(@Query() query: ListDossiersQuery, @Req() request: AuditedRequest) {
    const { dossiers, total, totalExact } = await this.accessLog.shownWithPage(request, (record) => this.registry.list(query, record));
    return { items: dossiers.map(registryItem), total, totalExact, page: query.page, pageSize: query.pageSize };
  }

  @Get('municipalities/:nis/summary')
  @ApiOperation({ summary: 'Dossiers registered in one municipality, per current stage', description: EVENTUALLY_CONSISTENT })
  @ApiOkResponse({ type: MunicipalitySummaryView })
  @ApiNotFoundResponse({ description: 'The NIS code names no municipality of Flanders or Brussels, in any period' })
  @ApiForbiddenResponse({ description: 'Only staff, admin and auditor' })
  async summary(@Param('nis') nis: string) {
    // A merged municipality keeps answering for the dossiers still registered under its old code.
    const municipality = defaultMunicipalityDirectory.resolve(nis);
    if (!municipality) {
      throw problem(404, 'municipality-not-found', 'Municipality not found', 'No municipality of Flanders or Brussels has this NIS code.');
    }
    return municipalitySummary(municipality, await this.registry.stageCounts(nis));
  }
}
