import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';
import { trim } from '../http/validation';

export class ErasureDto {
  @ApiProperty({
    example: 'GDPR art. 17 request, ticket DPO-2026-0042',
    minLength: 1,
    maxLength: 500,
    description: 'Why the personal data is erased (legal ground, ticket). Kept in plain in the PersonalDataErased event: never name the person here.',
  })
  @Transform(trim)
  @IsString()
  @Length(1, 500)
  reason: string;
}
