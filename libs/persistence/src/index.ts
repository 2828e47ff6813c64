export * from './data-source';
export * from './idempotency-record.entity';
export * from './runtime';
export * from './access-log-entry.entity';
export * from './archive-run.entity';
