import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { DataSource } from 'typeorm';
import { Roles } from '../auth/auth.decorators';
import { MAX_PAGE } from '../http/page.query';
import { IsQueryInteger, IsTimestamp } from '../http/validation';

export class AccessLogQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Entries that showed this dossier' })
  @IsOptional()
  @IsUUID()
  dossierId?: string;

  @ApiPropertyOptional({ description: 'Token subject of whoever looked' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  actor?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'From this moment (inclusive); a date means its midnight UTC' })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Before this moment (exclusive)' })
  @IsOptional()
  @IsTimestamp()
  to?: string;

  @ApiPropertyOptional({ type: 'integer', default: 1, minimum: 1, maximum: MAX_PAGE })
  @IsOptional()
  @IsQueryInteger(1, MAX_PAGE)
  page: number = 1;

  @ApiPropertyOptional({ type: 'integer', default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @IsQueryInteger(1, 500)
  pageSize: number = 50;
}

class AccessLogEntryView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ description: 'Token subject of whoever was shown the data' }) actor: string;
  @ApiProperty({ type: [String], example: ['auditor'] }) roles: string[];
  @ApiProperty({ example: 'GET' }) method: string;
  @ApiProperty({ example: '/dossiers/5b0d2c1e-8d0b-4c53-9a43-2f1e7a9c1d10', description: 'The path, without the query' }) path: string;
  @ApiProperty({ type: String, nullable: true, description: 'The X-Purpose header' }) purpose: string | null;
  @ApiProperty({ type: [String], description: 'The dossiers whose personal data the answer showed' }) dossierIds: string[];
  @ApiProperty() correlationId: string;
}

class AccessLogPageView {
  @ApiProperty({ type: [AccessLogEntryView], description: 'Newest first' }) items: AccessLogEntryView[];
  @ApiProperty() total: number;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
}

@ApiTags('audit')
@ApiBearerAuth()
@Roles('auditor')
@Controller('audit')
export class AccessLogController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('access-log')
  @ApiOperation({ summary: 'Who was shown which dossiers, when, and why (newest first)' })
  @ApiOkResponse({ type: AccessLogPageView })
  async list(@Query() query: AccessLogQuery) {
    const parameters: unknown[] = [];
    const conditions: string[] = [];
    const condition = (sql: (parameter: string) => string, value: unknown) => conditions.push(sql(`$${parameters.push(value)}`));
    // `@>` is what the GIN index of dossier ids answers; `= ANY(dossier_ids)`, which it was until
    // 2026-12-05, is not, and every such question read the whole log (docs/auditing.md).
    if (query.dossierId) condition((p) => `dossier_ids @> ARRAY[${p}::uuid]`, query.dossierId.toLowerCase());
    if (query.actor) condition((p) => `actor = ${p}`, query.actor);
    if (query.from) condition((p) => `at >= ${p}`, new Date(query.from));
    if (query.to) condition((p) => `at < ${p}`, new Date(query.to));
    const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
    // A dossier's records are found through its index first (OFFSET 0 keeps the planner from
    // flattening the subquery), then sorted: PostgreSQL cannot tell how few records hold one
    // dossier id and would otherwise walk the whole log newest first, filtering, to fill a page.
    const entries = query.dossierId ? `(SELECT * FROM access_log${where} OFFSET 0) entry` : `access_log entry${where}`;
    const page = parameters.length;
    const [rows, [{ total }]] = await Promise.all([
      this.dataSource.query<AccessLogRow[]>(
        `SELECT ${ROW_COLUMNS} FROM ${entries} ORDER BY at DESC, id DESC LIMIT $${page + 1} OFFSET $${page + 2}`,
        [...parameters, query.pageSize, (query.page - 1) * query.pageSize],
      ),
      this.dataSource.query<Array<{ total: number }>>(`SELECT count(*)::int AS total FROM ${entries}`, parameters),
    ]);
    return { items: rows.map(entryOf), total, page: query.page, pageSize: query.pageSize };
  }
}

const ROW_COLUMNS = 'id, at, actor, roles, method, path, purpose, dossier_ids, correlation_id';

interface AccessLogRow {
  id: string;
  at: Date;
  actor: string;
  roles: string[];
  method: string;
  path: string;
  purpose: string | null;
  dossier_ids: string[];
  correlation_id: string;
}

const entryOf = (row: AccessLogRow): AccessLogEntryView => ({
  id: row.id,
  at: row.at.toISOString(),
  actor: row.actor,
  roles: row.roles,
  method: row.method,
  path: row.path,
  purpose: row.purpose,
  dossierIds: row.dossier_ids,
  correlationId: row.correlation_id,
});
