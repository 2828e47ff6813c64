export * from './engine/projection';
export * from './engine/personal-data';
export * from './engine/projection-engine';
export * from './engine/projection-runner';
export * from './engine/rebuild';
export { ReadModelSchema1732492800000 } from './migrations/1732492800000-read-model-schema';
export { allProjections } from './all-projections';
export { CHECKPOINT_TABLE } from './engine/checkpoints';
export { FLOW_STATISTICS } from './flow-statistics/flow-statistics.projection';
