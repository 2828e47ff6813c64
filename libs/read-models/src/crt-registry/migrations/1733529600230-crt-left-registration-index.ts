import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dossiers who left, in registration order, so that `left` (as a status or a stage) with a
 * range of registration dates is one narrow range: at 125,053 dossiers `left` since 2025-06-01,
 * 1,721 matches, was gathered by a bitmap of every registration since that date (20,117 entries,
 * 1,112 heap pages, the stage checked on each row) and counted by a skip scan of (municipality,
 * stage, registered_on, …) (374 searches); from this index 1,721 entries and 594 heap pages, in
 * registration order index only (bench/README.md, "The CRT list's `left` since a date from an
 * index of its own"). Partial, so that it holds no other stage and no plan of another stage can
 * take it: an index (stage, registered_on, …) was read, in a spec's plan, for a municipality and a
 * stage in place of (municipality, stage, registered_on, …). It serves because the list's
 * statements are planned with their parameters' values (unnamed statements), which prove
 * `stage = 'left'`. A rebuild builds it after its fold, as every secondary index.
 */
export class CrtLeftRegistrationIndex1733529600230 implements MigrationInterface {
  name = 'CrtLeftRegistrationIndex1733529600230';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE INDEX crt_dossiers_left_registered_on_idx ON read_models.crt_dossiers (registered_on, dossier_id) WHERE stage = 'left'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX read_models.crt_dossiers_left_registered_on_idx');
  }
}
