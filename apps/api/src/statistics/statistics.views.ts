import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { ACTIVE_STAGES, DEPARTURE_REASONS, INBURGERING_TRAJECTORIES, OTHER_RESIDENCE_STATUSES, REHOUSING_REASONS, RESIDENCE_STATUSES } from '@app/domain';
import { AGE_BANDS, FLOW_UNITS, GROUP_SEXES, INTERVALS, PLACE_READINGS, STOCK_HOUSING, VDAB_DIMENSIONS, VDAB_POPULATIONS } from '@app/read-models';

// OpenAPI descriptions of the statistics answers (libs/read-models flow-statistics/queries build them).

@ApiSchema({ name: 'Cell', description: 'One number of a statistic; a cell of 1 to suppressBelow-1 persons (or hidden so that it cannot be worked out from a total) is suppressed' })
export class CellView {
  @ApiProperty({ type: Number, nullable: true, example: 12, description: 'null when suppressed (or for a rate over zero)' }) value: number | null;
  @ApiProperty({ example: false }) suppressed: boolean;
}

/** A schema with one cell (or number) per key, every key always present. */
function cellsOf(name: string, keys: readonly string[], description: string, type: typeof CellView | typeof Number = CellView): new () => object {
  class Cells {}
  for (const key of keys) ApiProperty({ type })(Cells.prototype, key);
  ApiSchema({ name, description })(Cells);
  return Cells;
}

/** A count with its split: `{ total, [by]: { category: cell } }`. */
function breakdownOf(name: string, by: string, keys: readonly string[], description: string): new () => object {
  class Breakdown {}
  ApiProperty({ type: CellView })(Breakdown.prototype, 'total');
  ApiProperty({ type: cellsOf(`${name}Parts`, keys, 'The total split; cells hidden so that none can be worked out from the total') })(Breakdown.prototype, by);
  ApiSchema({ name, description })(Breakdown);
  return Breakdown;
}

const StageCells = cellsOf('StageCells', ACTIVE_STAGES, 'Active dossiers by stage (the furthest step of the current state)');
const HousingCells = cellsOf('HousingTypeCells', STOCK_HOUSING, 'Active dossiers by housing type; none: not housed');
const ResidenceStatusCells = cellsOf(
  'ResidenceStatusCells',
  RESIDENCE_STATUSES,
  'Active dossiers by residence status: still under temporary protection, or moved to another status and staying',
);

@ApiSchema({ name: 'StatisticsGroup' })
export class StatisticsGroupView {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '70000',
    description: 'NIS code of the province or municipality; null for Brussels by province. Only when grouped by a place',
  })
  nis?: string | null;
  @ApiPropertyOptional({ example: 'Limburg', description: 'Only when grouped by a place' }) name?: string;
  @ApiPropertyOptional({ enum: GROUP_SEXES, description: 'Only when grouped by sex; unknown: not recorded' }) sex?: string;
  @ApiPropertyOptional({ enum: AGE_BANDS, description: "Only when grouped by ageBand: age on the answer's date; unknown: birth date erased or not readable" })
  ageBand?: string;
}

const GROUP = {
  type: StatisticsGroupView,
  nullable: true,
  description:
    'What the row is about: null without groupBy, else a field per dimension of groupBy: a province or municipality (of registration, ' +
    'or of housing with by=housing: "Not housed" with nis null for those not housed), sex, ageBand',
} as const;

export class StockGroupView {
  @ApiProperty(GROUP) group: StatisticsGroupView | null;
  @ApiProperty({ type: CellView, description: 'Active dossiers' }) active: CellView;
  @ApiProperty({ type: StageCells }) byStage: Record<string, CellView>;
  @ApiProperty({ type: HousingCells }) byHousingType: Record<string, CellView>;
  @ApiProperty({ type: ResidenceStatusCells }) byResidenceStatus: Record<string, CellView>;
  @ApiProperty({ type: CellView, description: 'Active dossiers that ever had a job' }) everEmployed: CellView;
  @ApiProperty({ type: CellView, description: 'Active dossiers with a job now' }) employedNow: CellView;
}

const MAP = {
  type: String,
  example: '2025-01-01',
  description:
    'The map the municipalities are on: a date (every code translated onto the map valid then, the province following the ' +
    'municipality) or "as-recorded" (each code as recorded; the default). Names are never repeated in one answer: namesakes ' +
    'are told apart by code and years, e.g. "Hasselt (71022, until 2024)"',
};
const BY = {
  enum: PLACE_READINGS,
  description: 'The place groups are of: the municipality (and province) of registration, or of housing (a group "Not housed", nis null, for those not housed)',
};

const LAST_BUSINESS_DATE = {
  type: String,
  format: 'date',
  nullable: true,
  description: 'The last business date anything is recorded on (null: nothing recorded); later dates are flagged incomplete',
};

const RECORDED_AS_OF = {
  type: String,
  format: 'date-time',
  nullable: true,
  example: '2026-04-01T08:00:00.000Z',
  description: 'The recording moment the answer is as of (recordedAsOf, in UTC): only events recorded by then count; null: now',
};

export class StockAnswer {
  @ApiProperty({ format: 'date', example: '2024-06-30' }) asOf: string;
  @ApiProperty({ example: 'province,sex', description: 'none, or the dimensions grouped by, comma-separated: province|municipality, sex, ageBand in that order' }) groupBy: string;
  @ApiProperty(MAP) map: string;
  @ApiProperty(BY) by: string;
  @ApiProperty({ example: 5, description: 'The suppression threshold applied' }) suppressBelow: number;
  @ApiProperty(LAST_BUSINESS_DATE) lastBusinessDate: string | null;
  @ApiProperty(RECORDED_AS_OF) recordedAsOf: string | null;
  @ApiProperty({ description: 'asOf lies after lastBusinessDate: its figures are not all recorded yet (facts arrive weeks late), not observed ones' }) incomplete: boolean;
  @ApiProperty({ type: [StockGroupView], description: 'One per group that has active dossiers (one, with group null, without groupBy)' }) groups: StockGroupView[];
}

class StockPointView {
  @ApiProperty({ format: 'date', example: '2024-06-30', description: 'The last day of a period, clipped to [from, to]' }) asOf: string;
  @ApiProperty({ description: 'asOf lies after lastBusinessDate: its figures are not all recorded yet (facts arrive weeks late), not observed ones' }) incomplete: boolean;
  @ApiProperty({ type: [StockGroupView] }) groups: StockGroupView[];
}

export class StockOverTimeAnswer {
  @ApiProperty({ format: 'date' }) from: string;
  @ApiProperty({ format: 'date' }) to: string;
  @ApiProperty({ enum: INTERVALS }) interval: string;
  @ApiProperty({ example: 'province,sex', description: 'none, or the dimensions grouped by, comma-separated: province|municipality, sex, ageBand in that order' }) groupBy: string;
  @ApiProperty(MAP) map: string;
  @ApiProperty(BY) by: string;
  @ApiProperty({ example: 5 }) suppressBelow: number;
  @ApiProperty(LAST_BUSINESS_DATE) lastBusinessDate: string | null;
  @ApiProperty(RECORDED_AS_OF) recordedAsOf: string | null;
  @ApiProperty({ type: [StockPointView], description: 'The stock (as GET /statistics/stock answers it) at the end of every period' }) points: StockPointView[];
}

class FlowGroupView {
  @ApiProperty(GROUP) group: StatisticsGroupView | null;
  @ApiProperty({ type: CellView }) registrations: CellView;
  @ApiProperty({ type: CellView, description: 'First housings of each stay: PersonHoused, after the registration and again after each reopening' })
  housings: CellView;
  @ApiProperty({ type: CellView, description: 'First housings ever: a person\'s first PersonHoused of all (the other reading of housings)' })
  firstHousingsEver: CellView;
  @ApiProperty({ type: breakdownOf('Rehousings', 'byReason', REHOUSING_REASONS, 'Moves to other housing, by reason') }) rehousings: object;
  @ApiProperty({ type: breakdownOf('InburgeringEnrolments', 'byTrajectory', INBURGERING_TRAJECTORIES, 'Inburgering enrolments, by trajectory') })
  inburgeringEnrolments: object;
  @ApiProperty({ type: CellView }) vdabRegistrations: CellView;
  @ApiProperty({ type: CellView }) employmentStarts: CellView;
  @ApiProperty({ type: CellView, description: 'Jobs ended by EmploymentEnded' }) employmentEnds: CellView;
  @ApiProperty({
    type: CellView,
    description: 'Jobs ended by EmploymentEnded or by a departure (PersonLeft) of a person who had a job just before it (the other reading of employmentEnds)',
  })
  employmentEndsIncludingDepartures: CellView;
  @ApiProperty({
    type: breakdownOf(
      'Departures',
      'byReason',
      DEPARTURE_REASONS,
      'Departures, by reason; other-residence-status is a person recorded as having left with another status (transitions count those who stay)',
    ),
  })
  departures: object;
  @ApiProperty({ type: CellView }) reopenings: CellView;
  @ApiProperty({
    type: breakdownOf('Transitions', 'byStatus', OTHER_RESIDENCE_STATUSES, 'Moves to another residence status (ResidenceStatusChanged), by the status moved to'),
  })
  transitions: object;
  @ApiProperty({ type: CellView, description: 'Active dossiers on the last day of the period' }) stockAtEnd: CellView;
}

class FlowPeriodView {
  @ApiProperty({ example: '2022-03', description: '2022-03, 2022-Q1 or 2022' }) period: string;
  @ApiProperty({ format: 'date', description: 'The part of the period inside [from, to]' }) start: string;
  @ApiProperty({ format: 'date' }) end: string;
  @ApiProperty({ description: 'The period end lies after lastBusinessDate: its figures are not all recorded yet (facts arrive weeks late), not observed ones' }) incomplete: boolean;
  @ApiProperty({ type: [FlowGroupView] }) groups: FlowGroupView[];
}

export class FlowsAnswer {
  @ApiProperty({ format: 'date' }) from: string;
  @ApiProperty({ format: 'date' }) to: string;
  @ApiProperty({ enum: INTERVALS }) interval: string;
  @ApiProperty({ example: 'province,sex', description: 'none, or the dimensions grouped by, comma-separated: province|municipality, sex, ageBand in that order' }) groupBy: string;
  @ApiProperty(MAP) map: string;
  @ApiProperty(BY) by: string;
  @ApiProperty({ enum: FLOW_UNITS, description: 'What the flows count: events, or persons (each once per period and group); stockAtEnd always counts persons' })
  unit: string;
  @ApiProperty({ example: 5 }) suppressBelow: number;
  @ApiProperty(LAST_BUSINESS_DATE) lastBusinessDate: string | null;
  @ApiProperty(RECORDED_AS_OF) recordedAsOf: string | null;
  @ApiProperty({ type: [FlowPeriodView] }) periods: FlowPeriodView[];
}

const firstStepOne = (description: string) => ({ type: CellView, description: `${description}; 1 for the first step (null value when the cohort is empty)` });

class FunnelStepView {
  @ApiProperty({ enum: ACTIVE_STAGES }) step: string;
  @ApiProperty({ type: CellView, description: 'Reached this step and every earlier one' }) count: CellView;
  @ApiProperty({ type: CellView, description: 'Reached this step at all, whatever the earlier steps' }) reachedAtAll: CellView;
  @ApiProperty(firstStepOne('count over the previous step’s count (0..1, 3 decimals)')) rateFromPrevious: CellView;
  @ApiProperty(firstStepOne('count over the registered count')) rateFromRegistered: CellView;
  @ApiProperty({ type: CellView, nullable: true, description: 'median days from reaching the previous step to reaching this one; null for the first step' })
  medianDaysFromPrevious: CellView | null;
}

class FunnelGroupView {
  @ApiProperty(GROUP) group: StatisticsGroupView | null;
  @ApiProperty({ type: [FunnelStepView] }) steps: FunnelStepView[];
}

export class FunnelAnswer {
  @ApiProperty({ type: String, nullable: true, example: '2022-03', description: 'The registration month when the cohort is one month; null for a range or every cohort' })
  cohort: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2022-03', description: 'First registration month of the cohort; null: from the first' }) cohortFrom: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2022-03', description: 'Last registration month of the cohort; null: up to the last' }) cohortTo: string | null;
  @ApiProperty({ format: 'date' }) asOf: string;
  @ApiProperty({ type: String, enum: RESIDENCE_STATUSES, nullable: true, description: 'The cut asked for: the cohort’s persons with this status on asOf; null for all' })
  residenceStatus: string | null;
  @ApiProperty({ example: 'province,sex', description: 'none, or the dimensions grouped by, comma-separated: province|municipality, sex, ageBand in that order' }) groupBy: string;
  @ApiProperty(MAP) map: string;
  @ApiProperty(BY) by: string;
  @ApiProperty({ example: 5 }) suppressBelow: number;
  @ApiProperty(LAST_BUSINESS_DATE) lastBusinessDate: string | null;
  @ApiProperty(RECORDED_AS_OF) recordedAsOf: string | null;
  @ApiProperty({ description: 'asOf lies after lastBusinessDate: its figures are not all recorded yet (facts arrive weeks late), not observed ones' }) incomplete: boolean;
  @ApiProperty({ type: [FunnelStepView], description: 'The whole cohort' }) steps: FunnelStepView[];
  @ApiProperty({ type: [FunnelGroupView], description: 'A funnel per group of groupBy (province or municipality of registration, sex, age band on asOf); empty without groupBy' }) groups: FunnelGroupView[];
}

class OutlookMethodView {
  @ApiProperty({ description: 'How this end date was projected, with every input' }) description: string;
  @ApiProperty({ format: 'date', description: 'The last recorded business date: the situation the projection starts from' }) basedOn: string;
  @ApiProperty({ description: 'Months from basedOn to the end date (days over 365.25/12)' }) months: number;
}

class ObservedRateView {
  @ApiProperty({ description: 'Events in the window: registrations, departures, or moves out of temporary protection' }) events: number;
  @ApiProperty({ description: 'The mean of the stock at the six month ends the rate is over: active, or under temporary protection for transitions' })
  averageStock: number;
  @ApiProperty({ example: 0.0123, description: 'events / 6 / averageStock, at most 1' }) monthly: number;
}

class RateView {
  @ApiProperty({ example: 0.02, description: 'The monthly rate the projection uses' }) monthly: number;
  @ApiProperty({ enum: ['observed', 'given'], description: 'observed: the trailing rate; given: the analyst\'s own (arrivalRate, departureRate, transitionRate)' })
  source: string;
  @ApiProperty({ type: ObservedRateView, description: 'The trailing rate observed, stated even when the analyst gave another' }) observed: ObservedRateView;
}

class OutlookWindowView {
  @ApiProperty({ format: 'date', description: 'Events after this day…' }) after: string;
  @ApiProperty({ format: 'date', description: '…up to this day (the last business date) count' }) upTo: string;
  @ApiProperty({ type: [String], description: 'The six month ends the average stocks are taken at' }) monthEnds: string[];
}

class TransitionSharesView {
  @ApiProperty({ type: cellsOf('TransitionShares', OTHER_RESIDENCE_STATUSES, 'Share of each status in the moves out of temporary protection', Number) })
  shares: Record<string, number>;
  @ApiProperty({ enum: ['window', 'history', 'even'], description: 'From the moves in the window; failing those, every move recorded; failing those, even' })
  from: string;
}

class OutlookScenarioInputsView {
  @ApiProperty({ format: 'date' }) basedOn: string;
  @ApiProperty({ type: OutlookWindowView }) window: OutlookWindowView;
  @ApiProperty({ type: RateView, description: 'New registrations per month, over the active stock; they arrive under temporary protection' }) arrivals: RateView;
  @ApiProperty({ type: RateView, description: 'Departures per month, over the active stock' }) departures: RateView;
  @ApiProperty({ type: RateView, description: 'Moves from temporary protection to another status per month, over those under temporary protection' })
  transitions: RateView;
  @ApiProperty({ type: TransitionSharesView }) transitionShares: TransitionSharesView;
}

class OutlookGroupView {
  @ApiProperty(GROUP) group: StatisticsGroupView | null;
  @ApiProperty({ type: CellView, description: 'Active dossiers: under temporary protection and transitioned' }) active: CellView;
  @ApiProperty({ type: CellView, description: 'Active, still under temporary protection' }) underTemporaryProtection: CellView;
  @ApiProperty({ type: breakdownOf('Transitioned', 'byStatus', OTHER_RESIDENCE_STATUSES, 'Active, moved to another residence status and staying, by status') })
  transitioned: object;
  @ApiProperty({ type: CellView, description: 'Dossiers whose person has left (registered in the group when they left)' }) left: CellView;
  @ApiProperty({ type: StageCells }) byStage: Record<string, CellView>;
  @ApiProperty({ type: HousingCells }) byHousingType: Record<string, CellView>;
  @ApiProperty({ type: StageCells, description: 'Active under temporary protection, by stage (projected: the split they had on basedOn)' })
  underTemporaryProtectionByStage: Record<string, CellView>;
  @ApiProperty({ type: HousingCells, description: 'Active under temporary protection, by housing type (projected: the split they had on basedOn)' })
  underTemporaryProtectionByHousingType: Record<string, CellView>;
  @ApiProperty({ type: StageCells, description: 'Active and transitioned (any other status), by stage (projected: the split they had on basedOn)' })
  transitionedByStage: Record<string, CellView>;
  @ApiProperty({ type: HousingCells, description: 'Active and transitioned (any other status), by housing type (projected: the split they had on basedOn)' })
  transitionedByHousingType: Record<string, CellView>;
}

class OutlookScenarioView {
  @ApiProperty({ format: 'date' }) endDate: string;
  @ApiProperty({ description: 'The end date is today or before: no outlook any more, what is recorded for that day' }) endDatePassed: boolean;
  @ApiProperty({ enum: ['observed', 'projection'] }) kind: string;
  @ApiProperty({ type: OutlookMethodView, nullable: true, description: 'How a projection was made; null when observed' }) method: OutlookMethodView | null;
  @ApiProperty({ type: [OutlookGroupView], description: 'One per group with any dossier (one, with group null, without groupBy)' }) groups: OutlookGroupView[];
}

export class OutlookAnswer {
  @ApiProperty({ type: String, format: 'date', nullable: true, description: 'The last business date anything is recorded on; null on an empty read model' })
  lastBusinessDate: string | null;
  @ApiProperty(RECORDED_AS_OF) recordedAsOf: string | null;
  @ApiProperty({ example: 'province,sex', description: 'none, or the dimensions grouped by, comma-separated: province|municipality, sex, ageBand in that order' }) groupBy: string;
  @ApiProperty(MAP) map: string;
  @ApiProperty(BY) by: string;
  @ApiProperty({ example: 5 }) suppressBelow: number;
  @ApiProperty({ type: OutlookScenarioInputsView, nullable: true, description: 'The scenario: its monthly rates, their source and inputs; null when nothing is recorded' })
  scenario: OutlookScenarioInputsView | null;
  @ApiProperty({ type: [OutlookScenarioView] }) scenarios: OutlookScenarioView[];
}

const share = (of: string) => ({
  type: CellView,
  description: `${of} / registeredAtVdab, 0..1 with three decimals (value null when registeredAtVdab is 0); suppressed when either count is`,
});

class VdabPairView {
  @ApiProperty({ type: CellView, description: 'Persons registered at VDAB (VdabRegistered) on or before the date: the population' }) registeredAtVdab: CellView;
  @ApiProperty({ type: CellView, description: 'Of them, those who had a job (EmploymentStarted) on or before the date: VDAB\'s "helped to a job"' })
  everEmployed: CellView;
  @ApiProperty({ type: CellView, description: 'Of them, those with a job on the date (not ended by EmploymentEnded nor by a departure): VDAB\'s "still working"' })
  employedNow: CellView;
  @ApiProperty(share('everEmployed')) everEmployedShare: CellView;
  @ApiProperty(share('employedNow')) employedNowShare: CellView;
}

@ApiSchema({ name: 'VdabGroup', description: 'A field per dimension of groupBy: the place of registration on the date (nis, name), sex, ageBand (age on the date), cohort' })
class VdabGroupKeyView {
  @ApiProperty({ type: String, nullable: true, required: false, example: '70000', description: 'NIS code of the province or municipality; null for Brussels by province' })
  nis?: string | null;
  @ApiProperty({ required: false, example: 'Limburg' }) name?: string;
  @ApiProperty({ required: false, enum: GROUP_SEXES, description: 'With groupBy sex: unknown when not recorded' }) sex?: string;
  @ApiProperty({ required: false, enum: AGE_BANDS, description: 'With groupBy ageBand: the age band on the date of the pair; unknown without a birth date' }) ageBand?: string;
  @ApiProperty({ required: false, example: '2022', description: 'Year of the VDAB registration' }) cohort?: string;
}

class VdabGroupView extends VdabPairView {
  @ApiProperty({ type: VdabGroupKeyView }) group: VdabGroupKeyView;
}

class VdabPointView {
  @ApiProperty({ format: 'date', example: '2024-12-31', description: 'The date of the pair: on, or the last day of a period (clipped to [from, to])' }) on: string;
  @ApiProperty({ description: 'on lies after lastBusinessDate: its figures are not all recorded yet (facts arrive weeks late), not observed ones' }) incomplete: boolean;
  @ApiProperty({ type: VdabPairView, description: 'The whole population' }) total: VdabPairView;
  @ApiProperty({ type: [VdabGroupView], description: 'One per group with anyone in the population; empty without groupBy. The groups add up to the total' })
  groups: VdabGroupView[];
}

export class VdabAnswer {
  @ApiProperty({ type: String, format: 'date', nullable: true, description: 'The date asked (null when a range was)' }) on: string | null;
  @ApiProperty({ type: String, format: 'date', nullable: true }) from: string | null;
  @ApiProperty({ type: String, format: 'date', nullable: true }) to: string | null;
  @ApiProperty({ type: String, enum: INTERVALS, nullable: true }) interval: string | null;
  @ApiProperty({ enum: VDAB_POPULATIONS, description: 'all: registered at VDAB by the date, still here or not; active: only those active on the date' }) population: string;
  @ApiProperty({ example: 'province,cohort', description: `none, or the dimensions grouped by, comma-separated in the order ${VDAB_DIMENSIONS.join(', ')}` }) groupBy: string;
  @ApiProperty(MAP) map: string;
  @ApiProperty(BY) by: string;
  @ApiProperty({ example: 5 }) suppressBelow: number;
  @ApiProperty(LAST_BUSINESS_DATE) lastBusinessDate: string | null;
  @ApiProperty(RECORDED_AS_OF) recordedAsOf: string | null;
  @ApiProperty({ type: [VdabPointView], description: 'One point for on; one per period for from/to' }) points: VdabPointView[];
}

class RevisionView {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'What the number is about: stock { asOf, group, series, category }, flows { period, start, end, group, series, category }, ' +
      'funnel { asOf, group, step, series }, outlook { endDate, group, series, category }; series is the key in the question\'s answer, ' +
      'category a breakdown\'s part (null for a total or a number on its own), group null without groupBy (and for the whole funnel cohort)',
  })
  cell: Record<string, unknown>;
  @ApiProperty({ type: CellView, description: 'As answered as recorded at from (a cell the answer did not have then: 0, or null for a rate or median)' }) before: CellView;
  @ApiProperty({ type: CellView, description: 'As answered as recorded at to' }) after: CellView;
  @ApiProperty({ type: Number, nullable: true, description: 'after − before; null when either is suppressed or no number' }) change: number | null;
  @ApiProperty({ type: CellView, description: 'Events recorded in (from, to] that may have changed the cell (docs/statistics.md), suppressed on their persons' })
  lateEvents: CellView;
}

export class RevisionsAnswer {
  @ApiProperty({ enum: ['stock', 'flows', 'funnel', 'outlook'] }) question: string;
  @ApiProperty({ format: 'date-time', description: 'The earlier recording moment, in UTC' }) from: string;
  @ApiProperty({ format: 'date-time', description: 'The later recording moment, in UTC' }) to: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: "The question's own parameters, as answered" }) parameters: Record<string, unknown>;
  @ApiProperty({ example: 5 }) suppressBelow: number;
  @ApiProperty({ type: [RevisionView], description: 'Only the cells that differ as shown: two suppressed cells are alike, whatever they hide' }) changes: RevisionView[];
  @ApiProperty({ type: CellView, description: "Every event recorded in (from, to] with a business date up to the answer's last date, suppressed on its persons" })
  lateEvents: CellView;
}

export class StatisticsSettingsView {
  @ApiProperty({ example: 5 }) suppressBelow: number;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: String, nullable: true, description: 'Token subject of the admin who set it; null for the default' }) updatedBy: string | null;
}
