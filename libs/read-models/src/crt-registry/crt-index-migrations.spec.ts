import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { PROJECTION_ENGINE_MIGRATIONS } from '@app/projection-engine';
import { openMigratedDatabase } from '@app/testing';
import { READ_MODEL_MIGRATIONS } from '../schema';
import { CrtFilterCombinationIndex1733529600210 } from './migrations/1733529600210-crt-filter-combination-index';
import { CrtLeftRegistrationIndex1733529600230 } from './migrations/1733529600230-crt-left-registration-index';
import { CrtSearchPendingListLimit1733529600240 } from './migrations/1733529600240-crt-search-pending-list-limit';
import { CrtWithoutUnusedIndexes1733529600190 } from './migrations/1733529600190-crt-without-unused-indexes';

/** The registry's migrations of indexes alone: each changes the indexes it names (built, or their definition changed) and no other, and down() leaves them as they were. */
describe.each([
  { migration: CrtWithoutUnusedIndexes1733529600190, dropped: ['crt_dossiers_active_idx', 'crt_dossiers_stage_idx'], built: [] },
  {
    migration: CrtFilterCombinationIndex1733529600210,
    dropped: [],
    built: ['CREATE INDEX crt_dossiers_housing_province_status_stage_idx ON read_models.crt_dossiers USING btree (housing_type, province_nis, residence_status, stage)'],
  },
  {
    migration: CrtLeftRegistrationIndex1733529600230,
    dropped: [],
    built: ["CREATE INDEX crt_dossiers_left_registered_on_idx ON read_models.crt_dossiers USING btree (registered_on, dossier_id) WHERE (stage = 'left'::text)"],
  },
  {
    // A setting of the index, not a new one: the definition changes, which is what a rebuild builds from.
    migration: CrtSearchPendingListLimit1733529600240,
    dropped: [],
    built: ["CREATE INDEX crt_dossiers_search_trgm_idx ON read_models.crt_dossiers USING gin (search_text gin_trgm_ops) WITH (gin_pending_list_limit='256')"],
  },
])('$migration.name', ({ migration: Migration, dropped, built }) => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let dataSource: DataSource;
  const migration: MigrationInterface = new Migration();
  const runner = () => ({ query: (sql: string, parameters?: unknown[]) => dataSource.query(sql, parameters) }) as unknown as QueryRunner;
  /** The registry's indexes, name and definition, in name order. */
  const indexes = async (): Promise<Array<{ indexname: string; indexdef: string }>> =>
    dataSource.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'read_models' AND tablename = 'crt_dossiers' ORDER BY indexname`);
  let before: Array<{ indexname: string; indexdef: string }>;

  beforeAll(async () => {
    database = await openMigratedDatabase([...PROJECTION_ENGINE_MIGRATIONS, ...READ_MODEL_MIGRATIONS.filter((step) => step !== Migration)]);
    dataSource = database.dataSource;
    before = await indexes();
  });
  afterAll(() => database?.close());

  it(`drops ${JSON.stringify(dropped)} and builds or redefines ${built.length} index(es), no other change; down() leaves the indexes as they were`, async () => {
    await migration.up(runner());
    const after = await indexes();
    expect(before.filter((index) => !after.some((kept) => kept.indexname === index.indexname)).map((index) => index.indexname)).toEqual(dropped);
    expect(after.filter((index) => !before.some((was) => was.indexdef === index.indexdef)).map((index) => index.indexdef)).toEqual(built);
    await migration.down(runner());
    expect(await indexes()).toEqual(before);
  });
});
