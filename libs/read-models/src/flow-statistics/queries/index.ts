export * from './flow-statistics.reader';
export { GROUP_BYS, type GroupBy, type GroupView } from './groups';
export { INTERVALS, MAX_PERIODS, periodsBetween, type Interval, type Period } from './periods';
export { DEFAULT_SUPPRESS_BELOW, type SettingsView } from './settings';
export { STOCK_HOUSING, type StockGroup, type StockOverTimeView, type StockView } from './stock';
export type { FlowGroup, FlowsView } from './flows';
export type { FunnelView } from './funnel';
export type { OutlookScenario, OutlookView } from './outlook';
export type { Cell, Count } from './suppression';
