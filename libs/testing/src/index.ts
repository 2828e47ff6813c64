/**
 * What specs share, in libs and in test/ alike: a database of their own inside the run's
 * PostgreSQL, the run's EventStoreDB, waiting for something that happens in its own time, and the
 * statistics' rule against working out a suppressed cell (given-away.ts). It depends on no other
 * lib, so every lib's specs may use it; production code never does (the builds leave it out).
 */
export * from './event-store-under-test';
export * from './test-database';
export * from './until';
export * from './migrated-database';
export * from './given-away';
export * from './median';
