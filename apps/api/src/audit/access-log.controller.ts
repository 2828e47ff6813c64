import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { AccessLogEntry } from '@app/persistence';
import { Roles } from '../auth/auth.decorators';

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
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Before this moment (exclusive)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page: number = 1;

  @ApiPropertyOptional({ default: 50, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  pageSize: number = 50;
}

@ApiTags('audit')
@ApiBearerAuth()
@Roles('auditor')
@Controller('audit')
export class AccessLogController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('access-log')
  @ApiOperation({ summary: 'Who was shown which dossiers, when, and why (newest first)' })
  @ApiOkResponse({ description: '{ items: [{ id, at, actor, roles, method, path, purpose, dossierIds, correlationId }], total, page, pageSize }' })
  async list(@Query() query: AccessLogQuery) {
    const builder = this.dataSource.getRepository(AccessLogEntry).createQueryBuilder('entry');
    if (query.dossierId) builder.andWhere(':dossierId = ANY(entry.dossier_ids)', { dossierId: query.dossierId.toLowerCase() });
    if (query.actor) builder.andWhere('entry.actor = :actor', { actor: query.actor });
    if (query.from) builder.andWhere('entry.at >= :from', { from: new Date(query.from) });
    if (query.to) builder.andWhere('entry.at < :to', { to: new Date(query.to) });
    const [items, total] = await builder
      .orderBy('entry.at', 'DESC')
      .addOrderBy('entry.id', 'DESC')
      .skip((query.page - 1) * query.pageSize)
      .take(query.pageSize)
      .getManyAndCount();
    return { items, total, page: query.page, pageSize: query.pageSize };
  }
}
