/**
 * The projection engine: follows the event store's log and keeps read models in PostgreSQL up
 * to date, one checkpoint per projection committed with each batch, one instance running each
 * projection (its lock), rebuilds beside the live copy. It knows no read model: projections are
 * given to it (libs/read-models). Entry point for specs: `@app/projection-engine/testing`.
 */
export * from './projection';
export * from './personal-data';
export * from './projection-engine';
export * from './projection-runner';
export * from './rebuild';
export { OnePassMemory, OnePassOvertakenError, type FoldsWhileFlushing } from './one-pass';
export * from './create-projection-engine';
export { CHECKPOINT_TABLE } from './checkpoints';
export { clientConfigOf, grantedLocks, lockName, projectionLockKey } from './projection-lock';
export { readEach, storableValue, unreadable, type SafeFormField, type SafeFormNotes, type StoredAs } from './safe-form';
export { VersionedRowsRebuild, writeVersionedRows, type Columns, type VersionedWrite } from './versioned-row';
export { PROJECTION_ENGINE_MIGRATIONS } from './migrations';
