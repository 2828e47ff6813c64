import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsDefined,
  IsIn,
  IsNotEmpty,
  IsNotEmptyObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import {
  DEPARTURE_REASONS,
  HOUSING_TYPES,
  INBURGERING_TRAJECTORIES,
  OTHER_RESIDENCE_STATUSES,
  REHOUSING_REASONS,
  RESIDENCE_STATUSES,
  SEXES,
  type DepartureReason,
  type HousingType,
  type InburgeringTrajectory,
  type OtherResidenceStatus,
  type RehousingReason,
  type ResidenceStatus,
  type Sex,
} from '@app/domain';
import { IsCalendarDate, IsNisCode, IsQueryInteger, IsTimestamp, trim } from '../http/validation';

/** Above any dossier's version (If-Match takes at most 9 digits too). */
const MAX_VERSION = 999_999_999;


export class PersonDto {
  @ApiProperty({ example: 'Olena' })
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  givenName: string;

  @ApiProperty({ example: 'Kovalenko' })
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  familyName: string;

  @ApiProperty({ example: '1985-07-30', format: 'date' })
  @IsCalendarDate()
  birthDate: string;

  @ApiPropertyOptional({ enum: SEXES })
  @IsOptional()
  @IsIn(SEXES)
  sex?: Sex;

  @ApiProperty({ example: 'UKR', description: 'ISO 3166-1 alpha-3' })
  @Matches(/^[A-Za-z]{3}$/, { message: '$property must be an ISO 3166-1 alpha-3 code such as UKR' })
  nationality: string;

  @ApiPropertyOptional({
    example: '85.07.30-033.28',
    description: 'Belgian national register number; dots and dash optional; check digits are verified',
  })
  @IsOptional()
  @Matches(/^\d{2}\.?\d{2}\.?\d{2}-?\d{3}\.?\d{2}$/, {
    message: '$property must be 11 digits, optionally written as YY.MM.DD-NNN.CC',
  })
  nationalRegisterNumber?: string;
}

export class ProtectionDto {
  @ApiPropertyOptional({ example: 'TB-2022-0012345', description: 'Number of the attest tijdelijke bescherming' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 50)
  attestationNumber?: string;

  @ApiProperty({ example: '2022-03-21', format: 'date' })
  @IsCalendarDate()
  grantedOn: string;
}

export class RegisterDossierDto {
  @ApiProperty({ type: PersonDto })
  @IsDefined()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => PersonDto)
  person: PersonDto;

  @ApiProperty({ type: ProtectionDto })
  @IsDefined()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => ProtectionDto)
  protection: ProtectionDto;

  @ApiProperty({ example: '11002', description: 'NIS code of a Flemish or Brussels municipality valid on registeredOn' })
  @IsNisCode()
  municipality: string;

  @ApiPropertyOptional({ example: 'household-42' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @Length(1, 100)
  householdId?: string;

  @ApiProperty({ example: '2022-03-24', format: 'date' })
  @IsCalendarDate()
  registeredOn: string;
}

export class HousedDto {
  @ApiProperty({ enum: HOUSING_TYPES })
  @IsIn(HOUSING_TYPES)
  housingType: HousingType;

  @ApiProperty({ example: '12025' })
  @IsNisCode()
  municipality: string;

  @ApiProperty({ example: '2022-04-02', format: 'date' })
  @IsCalendarDate()
  on: string;
}

export class RehousedDto extends HousedDto {
  @ApiProperty({ enum: REHOUSING_REASONS })
  @IsIn(REHOUSING_REASONS)
  reason: RehousingReason;
}

export class InburgeringEnrolledDto {
  @ApiProperty({ enum: INBURGERING_TRAJECTORIES })
  @IsIn(INBURGERING_TRAJECTORIES)
  trajectory: InburgeringTrajectory;

  @ApiProperty({ format: 'date' })
  @IsCalendarDate()
  on: string;
}

/** Commands that carry only their business date. */
export class DatedDto {
  @ApiProperty({ format: 'date' })
  @IsCalendarDate()
  on: string;
}

export class LeftDto extends DatedDto {
  @ApiProperty({ enum: DEPARTURE_REASONS })
  @IsIn(DEPARTURE_REASONS)
  reason: DepartureReason;
}

export class ReopenedDto extends DatedDto {
  @ApiPropertyOptional({ example: '44021', description: 'Where the person lives now; default: the last municipality' })
  @IsOptional()
  @IsNisCode()
  municipality?: string;

  @ApiPropertyOptional({
    enum: RESIDENCE_STATUSES,
    example: 'single-permit',
    description:
      'The residence status the person comes back with; default temporary-protection. Another status is recorded as a ' +
      'ResidenceStatusChanged on the reopening day, after the DossierReopened',
  })
  @IsOptional()
  @IsIn(RESIDENCE_STATUSES)
  residenceStatus?: ResidenceStatus;
}

export class StatusChangedDto extends DatedDto {
  @ApiProperty({
    enum: OTHER_RESIDENCE_STATUSES,
    example: 'single-permit',
    description: 'The residence status the person moved to; from then on no longer under temporary protection',
  })
  @IsIn(OTHER_RESIDENCE_STATUSES)
  status: OtherResidenceStatus;
}

export class CommandAcceptedDto {
  @ApiProperty({ format: 'uuid' })
  dossierId: string;

  @ApiProperty({ example: 3, description: 'Version of the dossier after this command; also in ETag' })
  version: number;
}

export class DossierAtQuery {
  @ApiPropertyOptional({
    format: 'date-time',
    example: '2024-06-01T12:00:00Z',
    description: 'The dossier as the system knew it at this moment (recorded time)',
  })
  @IsOptional()
  @IsTimestamp()
  asOf?: string;

  @ApiPropertyOptional({
    format: 'date',
    example: '2023-01-31',
    description: 'The dossier as it stood on this business date, given everything known now (late entries included)',
  })
  @IsOptional()
  @IsCalendarDate()
  validOn?: string;
}

export class DiffQuery {
  @ApiProperty({ type: 'integer', minimum: 0, example: 2, description: 'Version to compare from (0: before registration)' })
  @IsQueryInteger(0, MAX_VERSION)
  from: number;

  @ApiProperty({ type: 'integer', minimum: 1, example: 5, description: 'Version to compare to' })
  @IsQueryInteger(1, MAX_VERSION)
  to: number;
}
