import type { DataSource, QueryRunner } from 'typeorm';
import { PROJECTION_ENGINE_MIGRATIONS } from '@app/projection-engine';
import { openMigratedDatabase } from '@app/testing';
import { READ_MODEL_MIGRATIONS } from '../schema';
import { CrtWithoutUnusedIndexes1733529600190 } from './migrations/1733529600190-crt-without-unused-indexes';

/** The registry's two indexes no list's plan read are dropped, and down() builds them back as they were. */
describe('CrtWithoutUnusedIndexes1733529600190', () => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let dataSource: DataSource;
  const migration = new CrtWithoutUnusedIndexes1733529600190();
  const runner = () => ({ query: (sql: string, parameters?: unknown[]) => dataSource.query(sql, parameters) }) as unknown as QueryRunner;
  /** The registry's indexes, name and definition, in name order. */
  const indexes = async (): Promise<Array<{ indexname: string; indexdef: string }>> =>
    dataSource.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'read_models' AND tablename = 'crt_dossiers' ORDER BY indexname`);
  let before: Array<{ indexname: string; indexdef: string }>;

  beforeAll(async () => {
    database = await openMigratedDatabase([...PROJECTION_ENGINE_MIGRATIONS, ...READ_MODEL_MIGRATIONS.filter((step) => step !== CrtWithoutUnusedIndexes1733529600190)]);
    dataSource = database.dataSource;
    before = await indexes();
  });
  afterAll(() => database?.close());

  it('drops the indexes of active and stage alone, and down() builds them back as they were', async () => {
    await migration.up(runner());
    const after = await indexes();
    expect(before.filter((index) => !after.some((kept) => kept.indexname === index.indexname)).map((index) => index.indexname)).toEqual([
      'crt_dossiers_active_idx',
      'crt_dossiers_stage_idx',
    ]);
    expect(after).toEqual(before.filter((index) => !['crt_dossiers_active_idx', 'crt_dossiers_stage_idx'].includes(index.indexname)));
    await migration.down(runner());
    expect(await indexes()).toEqual(before);
  });
});
