import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsQueryInteger } from './validation';

export const MAX_PAGE_SIZE = 200;
export const MAX_PAGE = 1_000_000;

/** page and pageSize of the listings answered from read models. */
export class PageQuery {
  // The maximum keeps the offset far from PostgreSQL's bigint limit.
  @ApiPropertyOptional({ type: 'integer', default: 1, minimum: 1, maximum: MAX_PAGE })
  @IsOptional()
  @IsQueryInteger(1, MAX_PAGE)
  page: number = 1;

  @ApiPropertyOptional({ type: 'integer', default: 25, minimum: 1, maximum: MAX_PAGE_SIZE })
  @IsOptional()
  @IsQueryInteger(1, MAX_PAGE_SIZE)
  pageSize: number = 25;
}
