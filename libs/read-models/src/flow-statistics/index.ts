export { FLOW_STATISTICS, flowStatisticsProjection } from './flow-statistics.projection';
export * from './queries';
