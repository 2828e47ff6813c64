import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One index over the registry's categorical filters, so that a filter of several of them (a
 * province, a stage and a housing type) is one narrow range of it, counted from the index alone
 * and gathered from the few entries that match, where PostgreSQL otherwise combined a bitmap of
 * each filter's own index: at 1,006,261 dossiers (the bench's data) a province, stage and housing
 * type, 3,006 matches, built bitmaps of 102,220, 122,053 and 161,828 entries, 44 ms a scan and two
 * scans on a first page (its count and its gathering): 132 → 7–14 ms (bench/README.md, "The CRT
 * list's rare combinations at a million, from the bench's own data"). Columns a filter leaves out
 * are skipped (PostgreSQL 18's skip scan). The stage comes last, so that a stage alone (a status
 * is asked of the stage) is no range of it: with the stage first, `left` since a date took some
 * 3 ms more a page at 100,000 dossiers in one bench pair, most likely read from every dossier who
 * left instead of (municipality, stage, registered_on, …) (the plan was not caught). The
 * indexes of each column alone stay: a filter of one of them reads its own. A rebuild builds it
 * after its fold, as every secondary index.
 */
export class CrtFilterCombinationIndex1733529600210 implements MigrationInterface {
  name = 'CrtFilterCombinationIndex1733529600210';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      'CREATE INDEX crt_dossiers_housing_province_status_stage_idx ON read_models.crt_dossiers (housing_type, province_nis, residence_status, stage)',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX read_models.crt_dossiers_housing_province_status_stage_idx');
  }
}
