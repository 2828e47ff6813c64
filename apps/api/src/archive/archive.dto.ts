import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Equals, IsDefined, IsIn, IsOptional, IsString, IsUUID, Length, ValidateIf } from 'class-validator';
import type { ArchiveIndexQuery } from '@app/read-models';
import { PageQuery } from '../http/page.query';
import { IsCalendarDate, IsNisCode, trim } from '../http/validation';


/** Either closedBefore, or all with a reason (the controller refuses both at once). */
export class ArchiveRunRequest {
  @ApiPropertyOptional({ format: 'date', example: '2025-01-01', description: 'Archive every dossier whose person left before this date' })
  @ValidateIf((body: ArchiveRunRequest) => body.all === undefined)
  @IsDefined({ message: 'give closedBefore, or all: true with a reason' })
  @IsCalendarDate()
  closedBefore?: string;

  @ApiPropertyOptional({ enum: [true], description: 'Archive every dossier, open or closed (a registration tool is decommissioned); needs a reason' })
  // Not IsOptional, which lets null through: null is not true.
  @ValidateIf((body: ArchiveRunRequest) => body.all !== undefined)
  @Equals(true, { message: 'all must be true; leave it out to archive by closedBefore' })
  all?: true;

  @ApiPropertyOptional({ example: 'CRT replaced by the federal registration tool', description: 'Why; required with all' })
  @ValidateIf((body: ArchiveRunRequest) => body.all !== undefined || body.reason !== undefined)
  @Transform(trim)
  @IsString({ message: 'reason is required with all: say why every dossier is archived' })
  @Length(1, 500)
  reason?: string;
}

export class ArchiveListQuery extends PageQuery implements ArchiveIndexQuery {
  @ApiPropertyOptional({ example: '11002', description: 'NIS code of the municipality the person was registered in' })
  @IsOptional()
  @IsNisCode()
  municipality?: string;

  @ApiPropertyOptional({ example: '10000', description: 'NIS code of the province' })
  @IsOptional()
  @IsNisCode()
  province?: string;

  @ApiPropertyOptional({ format: 'date', description: 'Archived on or after' })
  @IsOptional()
  @IsCalendarDate()
  archivedFrom?: string;

  @ApiPropertyOptional({ format: 'date', description: 'Archived on or before' })
  @IsOptional()
  @IsCalendarDate()
  archivedTo?: string;

  @ApiPropertyOptional({ format: 'date', description: 'The person left before this date' })
  @IsOptional()
  @IsCalendarDate()
  leftBefore?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Archived by this run' })
  @IsOptional()
  @IsUUID()
  runId?: string;

  @ApiPropertyOptional({ format: 'date', description: 'Retention ends before this date' })
  @IsOptional()
  @IsCalendarDate()
  retainUntilBefore?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Personal data erased, or not' })
  @IsOptional()
  @IsIn(['true', 'false'])
  erased?: 'true' | 'false';
}

export class PurgeRequest {
  @ApiPropertyOptional({ example: 'Yearly retention purge', description: 'Recorded with each erasure, after the retention date' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 500)
  reason?: string;
}
