import { DataSource } from 'typeorm';
import { PERSONAL_DATA_MIGRATIONS } from '@app/personal-data';
import { PROJECTION_ENGINE_MIGRATIONS } from '@app/projection-engine';
import { READ_MODEL_ENTITIES, READ_MODEL_MIGRATIONS } from '@app/read-models';
import { AccessLogEntry } from './access-log-entry.entity';
import { ArchiveRun } from './archive-run.entity';
import { IdempotencyRecord } from './idempotency-record.entity';
import { IdempotencyKeys1732406400000 } from './migrations/1732406400000-idempotency-keys';
import { AccessLog1732752000000 } from './migrations/1732752000000-access-log';
import { ArchiveRuns1733011200000 } from './migrations/1733011200000-archive-runs';
import { IdempotencyKeysByAge1733270400000 } from './migrations/1733270400000-idempotency-keys-by-age';
import { AccessLogGinWithoutPendingList1733529600110 } from './migrations/1733529600110-access-log-gin-without-pending-list';

/**
 * The service's own PostgreSQL tables (idempotency keys, access log, personal-data keys) and the read models, as TypeORM sees
 * them. Always migrated, never synchronised from the entities. Every process that opens the
 * database (API, projector, CLI) uses this one definition, so they agree on the migrations.
 */
export function createDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: [IdempotencyRecord, AccessLogEntry, ArchiveRun, ...READ_MODEL_ENTITIES],
    // TypeORM runs them in the order of their timestamps, whichever lib they come from.
    migrations: [
      ...PROJECTION_ENGINE_MIGRATIONS,
      ...READ_MODEL_MIGRATIONS,
      ...PERSONAL_DATA_MIGRATIONS,
      IdempotencyKeys1732406400000,
      AccessLog1732752000000,
      ArchiveRuns1733011200000,
      IdempotencyKeysByAge1733270400000,
      AccessLogGinWithoutPendingList1733529600110,
    ],
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: 10 },
  });
}
