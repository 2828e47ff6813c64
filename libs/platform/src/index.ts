export * from './config';
export * from './deterministic-uuid';
export * from './dev-tokens';
export * from './keyed-mutex';
export * from './secrets';
export * from './postgres-errors';
export * from './canonical-json';
export * from './storable';
