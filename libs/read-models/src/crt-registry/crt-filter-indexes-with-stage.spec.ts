import type { DataSource, QueryRunner } from 'typeorm';
import { PROJECTION_ENGINE_MIGRATIONS } from '@app/projection-engine';
import { openMigratedDatabase } from '@app/testing';
import { READ_MODEL_MIGRATIONS } from '../schema';
import { CrtFilterIndexesWithStage1733529600200 } from './migrations/1733529600200-crt-filter-indexes-with-stage';

/** The province's, housing type's and residence status's indexes hold the stage after their column, and down() builds them back as they were. */
describe('CrtFilterIndexesWithStage1733529600200', () => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let dataSource: DataSource;
  const migration = new CrtFilterIndexesWithStage1733529600200();
  const runner = () => ({ query: (sql: string, parameters?: unknown[]) => dataSource.query(sql, parameters) }) as unknown as QueryRunner;
  /** The registry's indexes, name and definition, in name order. */
  const indexes = async (): Promise<Array<{ indexname: string; indexdef: string }>> =>
    dataSource.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'read_models' AND tablename = 'crt_dossiers' ORDER BY indexname`);
  let before: Array<{ indexname: string; indexdef: string }>;

  beforeAll(async () => {
    database = await openMigratedDatabase([...PROJECTION_ENGINE_MIGRATIONS, ...READ_MODEL_MIGRATIONS.filter((step) => step !== CrtFilterIndexesWithStage1733529600200)]);
    dataSource = database.dataSource;
    before = await indexes();
  });
  afterAll(() => database?.close());

  it('replaces the three indexes of one column by the column and the stage, the same names and no others; down() builds them back as they were', async () => {
    await migration.up(runner());
    const after = await indexes();
    expect(after.map((index) => index.indexname)).toEqual(before.map((index) => index.indexname));
    const changed = after.filter((index) => !before.some((was) => was.indexdef === index.indexdef));
    expect(changed.map((index) => index.indexdef.replace(/^.* USING /, ''))).toEqual([
      'btree (housing_type, stage)',
      'btree (province_nis, stage)',
      'btree (residence_status, stage)',
    ]);
    await migration.down(runner());
    expect(await indexes()).toEqual(before);
  });
});
