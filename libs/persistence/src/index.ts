export * from './data-source';
export * from './idempotency-record.entity';
export * from './runtime';
