import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { PROJECTION_ENGINE_MIGRATIONS } from '@app/projection-engine';
import { openMigratedDatabase } from '@app/testing';
import { READ_MODEL_MIGRATIONS } from '../schema';
import { CrtFilterIndexesWithStage1733529600200 } from './migrations/1733529600200-crt-filter-indexes-with-stage';
import { CrtWithoutUnusedIndexes1733529600190 } from './migrations/1733529600190-crt-without-unused-indexes';

interface Index {
  readonly indexname: string;
  readonly indexdef: string;
}

/**
 * A migration of the registry's indexes run on a database migrated without it: `check` gets the
 * indexes before and after its up(), and down() must build them back as they were.
 */
function indexMigration(step: Function, check: (before: Index[], after: Index[]) => void): void {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let dataSource: DataSource;
  const runner = () => ({ query: (sql: string, parameters?: unknown[]) => dataSource.query(sql, parameters) }) as unknown as QueryRunner;
  /** The registry's indexes, name and definition, in name order. */
  const indexes = async (): Promise<Index[]> =>
    dataSource.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'read_models' AND tablename = 'crt_dossiers' ORDER BY indexname`);

  beforeAll(async () => {
    database = await openMigratedDatabase([...PROJECTION_ENGINE_MIGRATIONS, ...READ_MODEL_MIGRATIONS.filter((other) => other !== step)]);
    dataSource = database.dataSource;
  });
  afterAll(() => database?.close());

  it('changes the indexes so, and down() builds them back as they were', async () => {
    const migration = new (step as new () => MigrationInterface)();
    const before = await indexes();
    await migration.up(runner());
    check(before, await indexes());
    await migration.down(runner());
    expect(await indexes()).toEqual(before);
  });
}

/** The registry's two indexes no list's plan read are dropped. */
describe('CrtWithoutUnusedIndexes1733529600190', () => {
  indexMigration(CrtWithoutUnusedIndexes1733529600190, (before, after) => {
    const dropped = ['crt_dossiers_active_idx', 'crt_dossiers_stage_idx'];
    expect(before.filter((index) => !after.some((kept) => kept.indexname === index.indexname)).map((index) => index.indexname)).toEqual(dropped);
    expect(after).toEqual(before.filter((index) => !dropped.includes(index.indexname)));
  });
});

/** The province's, housing type's and residence status's indexes hold the stage after their column, under the same names, and no index is added. */
describe('CrtFilterIndexesWithStage1733529600200', () => {
  indexMigration(CrtFilterIndexesWithStage1733529600200, (before, after) => {
    expect(after.map((index) => index.indexname)).toEqual(before.map((index) => index.indexname));
    const changed = after.filter((index) => !before.some((was) => was.indexdef === index.indexdef));
    expect(changed.map((index) => index.indexdef.replace(/^.* USING /, ''))).toEqual([
      'btree (housing_type, stage)',
      'btree (province_nis, stage)',
      'btree (residence_status, stage)',
    ]);
  });
});
