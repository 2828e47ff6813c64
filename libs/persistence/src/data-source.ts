import { DataSource } from 'typeorm';
import { READ_MODEL_ENTITIES, READ_MODEL_MIGRATIONS } from '@app/projections/read-models';
import { IdempotencyRecord } from './idempotency-record.entity';
import { IdempotencyKeys1732406400000 } from './migrations/1732406400000-idempotency-keys';

/**
 * The service's own PostgreSQL tables (idempotency keys) and the read models, as TypeORM sees
 * them. Always migrated, never synchronised from the entities. Every process that opens the
 * database (API, projector, CLI) uses this one definition, so they agree on the migrations.
 */
export function createDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: [IdempotencyRecord, ...READ_MODEL_ENTITIES],
    migrations: [IdempotencyKeys1732406400000, ...READ_MODEL_MIGRATIONS],
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: 10 },
  });
}
