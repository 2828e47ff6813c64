/**
 * The service's PostgreSQL: one TypeORM data source whose migrations are every lib's (the
 * engine's, the read models', the personal-data keys') and the service's own tables (idempotency
 * keys, the access log, archive runs); and the runtime every process opens (PostgreSQL, the event
 * store configuration chooses: openEventStore).
 */
export * from './data-source';
export * from './idempotency-record.entity';
export * from './runtime';
export * from './open-event-store';
export * from './access-log-entry.entity';
export * from './archive-run.entity';
