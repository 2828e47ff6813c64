export * from './flow-statistics.reader';
export { answerJson } from './statistics-cache';
export { AGE_BANDS, GROUP_DIMENSIONS, GROUP_SEXES, readGroupBy, type GroupBy, type GroupView } from './groups';
export { PLACE_READINGS, REGISTRATION_AS_RECORDED, type Place, type PlaceEcho, type PlaceReading } from './place';
export { INTERVALS, MAX_PERIODS, periodsBetween, type Interval, type Period } from './periods';
export { DEFAULT_SUPPRESS_BELOW, type SettingsView } from './settings';
export { STOCK_HOUSING, type StockGroup, type StockOverTimeView, type StockView } from './stock';
export { FLOW_UNITS, type FlowGroup, type FlowsView, type FlowUnit } from './flows';
export type { FunnelQuestion, FunnelStep, FunnelView } from './funnel';
export { TRAILING_MONTHS, type GivenRates, type OutlookGroup, type OutlookScenario, type OutlookScenarioInputs, type OutlookView, type RateView } from './outlook';
export type { Cell, Count } from './suppression';
export {
  readVdabGroupBy,
  VDAB_DIMENSIONS,
  VDAB_POPULATIONS,
  type VdabGroupView,
  type VdabPair,
  type VdabPoint,
  type VdabPopulation,
  type VdabView,
} from './vdab';
export type { Recorded, RecordedAsOf, RecordedThrough } from './recorded';
export { REVISION_QUESTIONS, seriesCells, type Revision, type RevisionQuestion, type RevisionsView, type SeriesCell } from './revisions';
