import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { Roles } from '../auth/auth.decorators';
import { MAX_PAGE } from '../http/page.query';
import { AccessLog } from './access-log';
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
  constructor(private readonly accessLog: AccessLog) {}

  @Get('access-log')
  @ApiOperation({ summary: 'Who was shown which dossiers, when, and why (newest first)' })
  @ApiOkResponse({ type: AccessLogPageView })
  async list(@Query() query: AccessLogQuery) {
    return { ...(await this.accessLog.page(query)), page: query.page, pageSize: query.pageSize };
  }
}
