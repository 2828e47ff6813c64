import { DataSource } from 'typeorm';
import { READ_MODEL_ENTITIES, READ_MODEL_MIGRATIONS } from '@app/projections/read-models';
import { AccessLogEntry } from './access-log-entry.entity';
import { ArchiveRun } from './archive-run.entity';
import { IdempotencyRecord } from './idempotency-record.entity';
import { IdempotencyKeys1732406400000 } from './migrations/1732406400000-idempotency-keys';
import { AccessLog1732752000000 } from './migrations/1732752000000-access-log';
import { PersonalDataKeys1733097600000 } from './migrations/1733097600000-personal-data-keys';
import { ArchiveRuns1733011200000 } from './migrations/1733011200000-archive-runs';
import { IdempotencyKeysByAge1733270400000 } from './migrations/1733270400000-idempotency-keys-by-age';

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
    migrations: [IdempotencyKeys1732406400000, ...READ_MODEL_MIGRATIONS, AccessLog1732752000000, PersonalDataKeys1733097600000, ArchiveRuns1733011200000, IdempotencyKeysByAge1733270400000],
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: 10 },
  });
}
