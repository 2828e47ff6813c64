import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { HOUSING_TYPES, RESIDENCE_STATUSES, STAGES, type HousingType, type ResidenceStatus, type Stage } from '@app/domain';
import { DOSSIER_STATUSES, REGISTRY_SORTS, type RegistryListQuery, type RegistrySort } from '@app/read-models';
import { PageQuery } from '../http/page.query';
import { IsCalendarDate, IsNisCode } from '../http/validation';

export class ListDossiersQuery extends PageQuery implements RegistryListQuery {
  @ApiPropertyOptional({ enum: DOSSIER_STATUSES })
  @IsOptional()
  @IsIn(DOSSIER_STATUSES)
  status?: (typeof DOSSIER_STATUSES)[number];

  @ApiPropertyOptional({ example: '11002', description: 'NIS code of the municipality the person is registered in' })
  @IsOptional()
  @IsNisCode()
  municipality?: string;

  @ApiPropertyOptional({ example: '10000', description: 'NIS code of the province (Brussels has none)' })
  @IsOptional()
  @IsNisCode()
  province?: string;

  @ApiPropertyOptional({ enum: HOUSING_TYPES, description: 'Current housing' })
  @IsOptional()
  @IsIn(HOUSING_TYPES)
  housingType?: HousingType;

  @ApiPropertyOptional({ enum: STAGES })
  @IsOptional()
  @IsIn(STAGES)
  stage?: Stage;

  @ApiPropertyOptional({
    enum: RESIDENCE_STATUSES,
    description: 'Current residence status: temporary-protection, or the status the person moved to (kept when the person left)',
  })
  @IsOptional()
  @IsIn(RESIDENCE_STATUSES)
  residenceStatus?: ResidenceStatus;

  @ApiPropertyOptional({ format: 'date', description: 'Registered on or after' })
  @IsOptional()
  @IsCalendarDate()
  registeredFrom?: string;

  @ApiPropertyOptional({ format: 'date', description: 'Registered on or before' })
  @IsOptional()
  @IsCalendarDate()
  registeredTo?: string;

  @ApiPropertyOptional({
    example: 'kovalenko',
    description: 'Words that must all occur in the names or the national register number (dots and dash optional)',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 200)
  q?: string;

  @ApiPropertyOptional({
    enum: REGISTRY_SORTS,
    default: '-registeredOn',
    description: 'A leading "-" sorts descending; municipality sorts by name. Ties are broken by dossierId.',
  })
  @IsOptional()
  @IsIn(REGISTRY_SORTS)
  sort: RegistrySort = '-registeredOn';
}
