import { DataSource } from 'typeorm';
import { IdempotencyRecord } from '../idempotency/idempotency-record.entity';
import { IdempotencyKeys1732406400000 } from './migrations/1732406400000-idempotency-keys';

/** Read models and service tables; always migrated, never synchronised from entities. */
export function createDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: [IdempotencyRecord],
    migrations: [IdempotencyKeys1732406400000],
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: 10 },
  });
}
