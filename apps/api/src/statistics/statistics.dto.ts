import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, Matches, Max, Min, registerDecorator } from 'class-validator';
import { RESIDENCE_STATUSES, type ResidenceStatus } from '@app/domain';
import { MAX_END_DATES } from '@app/platform';
import {
  AGE_BANDS,
  FLOW_UNITS,
  GROUP_DIMENSIONS,
  GROUP_SEXES,
  INTERVALS,
  readGroupBy,
  readVdabGroupBy,
  PLACE_READINGS,
  REVISION_QUESTIONS,
  VDAB_DIMENSIONS,
  VDAB_POPULATIONS,
  type FlowUnit,
  type GroupBy,
  type Interval,
  type PlaceReading,
  type RevisionQuestion,
  type VdabPopulation,
} from '@app/read-models';
import { IsCalendarDate, IsCalendarMonth, IsTimestamp } from '../http/validation';
import { CSV_DIALECTS, type CsvDialect } from './csv';

const GROUP_BY =
  `none, or a comma list of dimensions (${GROUP_DIMENSIONS.join(', ')}): at most one place (province or municipality), ` +
  `and/or sex (${GROUP_SEXES.join(', ')}) and/or ageBand (${AGE_BANDS.join(', ')}; age on the answer's date), such as province,sex. ` +
  'The answer repeats it with its dimensions in that order';

/**
 * `groupBy`: `none`, or a comma list of dimensions, read into the form answers repeat
 * (`read`: readGroupBy, or a statistic's own reading of it); a list that breaks a rule is a 400
 * naming the rule.
 */
function GroupByParameter(description: string, readList: (text: string) => { groupBy: GroupBy } | { error: string } = readGroupBy): PropertyDecorator {
  const read = (value: unknown) => (typeof value === 'string' ? readList(value) : { error: 'groupBy is one value: none, or dimensions separated by commas' });
  return applyDecorators(
    ApiPropertyOptional({ type: String, default: 'none', example: 'province,sex', description: `${description}: ${GROUP_BY}` }),
    IsOptional(),
    Transform(({ value }: { value: unknown }) => {
      const groupBy = read(value);
      return 'groupBy' in groupBy ? groupBy.groupBy : value;
    }),
    (target: object, propertyName: string | symbol) =>
      registerDecorator({
        name: 'isGroupBy',
        target: target.constructor,
        propertyName: propertyName as string,
        options: { message: ({ value }) => ('error' in read(value) ? (read(value) as { error: string }).error : '') },
        validator: { validate: (value: unknown) => 'groupBy' in read(value) },
      }),
  );
}

/** What every statistics question takes besides its own parameters. */
class CsvOptions {
  @ApiPropertyOptional({
    enum: CSV_DIALECTS,
    default: 'rfc4180',
    description:
      'How a CSV answer (Accept: text/csv) is written: rfc4180 with , between fields and . in decimals; ' +
      'excel-be for Excel with Belgian regional settings: ; between fields, , in decimals, a UTF-8 byte order mark. Ignored for JSON',
  })
  @IsOptional()
  @IsIn(CSV_DIALECTS)
  csvDialect?: CsvDialect;
}

/** What every statistics question takes besides its own parameters and the CSV dialect. */
export class RecordedOptions extends CsvOptions {
  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-04-01T08:00:00Z',
    description:
      'The answer as the service gave it at that moment: only the events the event store had recorded by then count (a late entry recorded ' +
      'afterwards is left out), lastBusinessDate and incomplete as they were, and a default date (asOf, today) the business date of that moment. ' +
      'An ISO 8601 date-time with Z or an offset (a date alone: its midnight UTC), to the millisecond; not in the future. Default: now. The answer repeats it (UTC)',
  })
  @IsOptional()
  @IsTimestamp()
  recordedAsOf?: string;
}

/** Where a statistic puts a dossier: by which of its places, on which map of the municipalities. */
export class PlaceQuery extends RecordedOptions {
  @ApiPropertyOptional({
    format: 'date',
    example: '2025-01-01',
    description:
      'Put every municipality code on the map valid on this date (the 2025 mergers applied: Hasselt 71022 and Kortessem 73040 are ' +
      'Hasselt 71072 from 2025-01-01; the province follows the municipality). A municipality created by a merger after this date ' +
      'stays itself. Default: the codes as recorded. The answer\'s map says which',
  })
  @IsOptional()
  @IsCalendarDate()
  map?: string;

  @ApiPropertyOptional({
    enum: PLACE_READINGS,
    default: 'registration',
    description:
      'Group by the municipality (and province) of registration, or of housing: where the person is housed on the date (flows: where ' +
      'the event leaves them housed; a departure where they were housed until then); persons not housed are a group "Not housed". ' +
      'The answer\'s by says which',
  })
  @IsOptional()
  @IsIn(PLACE_READINGS)
  by: PlaceReading = 'registration';
}

export class StockQuery extends PlaceQuery {
  @ApiPropertyOptional({ format: 'date', example: '2024-06-30', description: 'Business date; default today' })
  @IsOptional()
  @IsCalendarDate()
  asOf?: string;

  @GroupByParameter('One group per place, sex or age band on asOf')
  groupBy: GroupBy = 'none';
}

/** A range of business dates cut into calendar periods (flows, the stock over time). */
export class PeriodsQuery extends PlaceQuery {
  @ApiProperty({ format: 'date', example: '2022-03-01', description: 'First business date counted' })
  @IsCalendarDate()
  from: string;

  @ApiProperty({ format: 'date', example: '2022-12-31', description: 'Last business date counted (inclusive)' })
  @IsCalendarDate()
  to: string;

  @ApiPropertyOptional({ enum: INTERVALS, default: 'month' })
  @IsOptional()
  @IsIn(INTERVALS)
  interval: Interval = 'month';

  @GroupByParameter("One group per place, sex or age band (on each period's last day)")
  groupBy: GroupBy = 'none';
}

export class FlowsQuery extends PeriodsQuery {
  @ApiPropertyOptional({
    enum: FLOW_UNITS,
    default: 'events',
    description:
      'What a flow counts: events (a person rehoused twice in a period counts twice) or persons (once). The answer\'s unit says which',
  })
  @IsOptional()
  @IsIn(FLOW_UNITS)
  unit: FlowUnit = 'events';
}

export class VdabQuery extends PlaceQuery {
  @ApiPropertyOptional({ format: 'date', example: '2024-12-31', description: 'Business date of the pair; default today. Not with from/to' })
  @IsOptional()
  @IsCalendarDate()
  on?: string;

  @ApiPropertyOptional({ format: 'date', example: '2022-03-01', description: 'With to: the pair at the end of every period from this date; not with on' })
  @IsOptional()
  @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({ format: 'date', example: '2024-12-31', description: 'With from: the last day of the range (the last period is clipped to it)' })
  @IsOptional()
  @IsCalendarDate()
  to?: string;

  @ApiPropertyOptional({ enum: INTERVALS, default: 'month', description: 'The periods of from/to; ignored with on' })
  @IsOptional()
  @IsIn(INTERVALS)
  interval: Interval = 'month';

  @GroupByParameter(
    'Besides the total, one row per group on the date; besides the dimensions of every statistic, cohort (the year of the VDAB registration), ' +
      `combinable with any of them and last in the order answers repeat (${VDAB_DIMENSIONS.join(', ')}), such as province,cohort or ageBand,cohort`,
    readVdabGroupBy,
  )
  groupBy: GroupBy = 'none';

  @ApiPropertyOptional({
    enum: VDAB_POPULATIONS,
    default: 'all',
    description:
      'all: every person registered at VDAB by the date, still here or not (VDAB\'s published reading); active: only those whose dossier is active on the date',
  })
  @IsOptional()
  @IsIn(VDAB_POPULATIONS)
  population: VdabPopulation = 'all';
}

export class StatisticsSettingsDto {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    maximum: 100,
    example: 5,
    description: 'Cells counting 1..suppressBelow-1 persons are suppressed; 0 or 1 turns suppression off. A JSON number: "5", "" or false are refused',
  })
  // A JSON number as sent, never a converted string or boolean ("" and false would read as 0: suppression off).
  @IsInt()
  @Min(0)
  @Max(100)
  suppressBelow: number;
}

export class FunnelQuery extends PlaceQuery {
  @ApiPropertyOptional({
    example: '2022-03',
    description: 'Registration month of the cohort, YYYY-MM. Not with cohortFrom/cohortTo; without any of the three, every cohort',
  })
  @IsOptional()
  @IsCalendarMonth()
  cohort?: string;

  @ApiPropertyOptional({ example: '2022-03', description: 'First registration month of a cohort of several months, YYYY-MM; default the first' })
  @IsOptional()
  @IsCalendarMonth()
  cohortFrom?: string;

  @ApiPropertyOptional({ example: '2022-12', description: 'Last registration month of a cohort of several months, YYYY-MM; default the last' })
  @IsOptional()
  @IsCalendarMonth()
  cohortTo?: string;

  @GroupByParameter('Besides the whole cohort, a funnel per province or municipality of registration, sex or age band on asOf')
  groupBy: GroupBy = 'none';

  @ApiPropertyOptional({ format: 'date', example: '2024-06-30', description: 'Business date; default today' })
  @IsOptional()
  @IsCalendarDate()
  asOf?: string;

  @ApiPropertyOptional({
    enum: RESIDENCE_STATUSES,
    description: 'Only the persons of the cohort with this residence status on asOf (a person who left keeps the status they left with)',
  })
  @IsOptional()
  @IsIn(RESIDENCE_STATUSES)
  residenceStatus?: ResidenceStatus;
}

/** A monthly rate as an analyst writes it: 0 to 1, a decimal point, at most 6 decimals. */
const MONTHLY_RATE = /^(0(\.\d{1,6})?|1(\.0{1,6})?|\.\d{1,6})$/;
const RATE_FORMAT = 'must be a monthly rate from 0 to 1 written as a decimal number, such as 0.02';
const RATE = 'A monthly rate from 0 to 1 for the projected end dates; default the trailing six months observed (the answer\'s scenario says which and states both)';

export class OutlookQuery extends PlaceQuery {
  @ApiPropertyOptional({
    type: [String],
    example: ['2027-03-04', '2028-03-04'],
    description: `One or more end dates (repeat the parameter; at most ${MAX_END_DATES}); default the configured PROTECTION_END_DATES`,
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value : [value]))
  @IsArray()
  @ArrayMaxSize(MAX_END_DATES)
  @IsCalendarDate({ each: true })
  endDate?: string[];

  @GroupByParameter('One row per province or municipality of registration, sex or age band on each end date')
  groupBy: GroupBy = 'none';

  @ApiPropertyOptional({ type: String, example: '0.01', description: `${RATE}. Arrivals (new registrations) per month, over the active stock` })
  @IsOptional()
  @Matches(MONTHLY_RATE, { message: `arrivalRate ${RATE_FORMAT}` })
  arrivalRate?: string;

  @ApiPropertyOptional({ type: String, example: '0.015', description: `${RATE}. Departures per month, over the active stock` })
  @IsOptional()
  @Matches(MONTHLY_RATE, { message: `departureRate ${RATE_FORMAT}` })
  departureRate?: string;

  @ApiPropertyOptional({
    type: String,
    example: '0.02',
    description: `${RATE}. Moves from temporary protection to another residence status per month, over those under temporary protection`,
  })
  @IsOptional()
  @Matches(MONTHLY_RATE, { message: `transitionRate ${RATE_FORMAT}` })
  transitionRate?: string;
}

/**
 * GET /statistics/revisions' own parameters; the question's own come beside them (validated by
 * the question's DTO), a flows question's range as periodFrom and periodTo.
 */
export class RevisionsQuery {
  @ApiProperty({ enum: REVISION_QUESTIONS, description: 'The question whose answers are compared' })
  @IsIn(REVISION_QUESTIONS)
  question: RevisionQuestion;

  @ApiProperty({ format: 'date-time', example: '2026-04-01T08:00:00Z', description: 'The earlier recording moment (as recordedAsOf takes it)' })
  @IsTimestamp()
  from: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-01T08:00:00Z', description: 'The later recording moment, not in the future' })
  @IsTimestamp()
  to: string;
}
