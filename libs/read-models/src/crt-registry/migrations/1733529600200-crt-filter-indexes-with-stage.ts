import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The indexes of the province, the housing type and the residence status hold the stage after
 * the filter's own column, so a filter of one of them with a stage or a status (a status is asked
 * of the stage, CrtRegistryReader) is one narrow range of an index, counted and gathered from the
 * few entries that match, instead of a bitmap of every dossier of the province or housing type
 * combined with one of every dossier at the stage. At 1,000,000 dossiers a province, stage and
 * housing type together (2,646 matches) built bitmaps of 110,979, 118,143 and 146,322 entries,
 * some 30 ms for every page of it (bench/README.md, "The CRT list at a million: rare
 * combinations"). The filter alone still reads the index by its first column. Each replaces the
 * index of its column alone: no more indexes for a rebuild to build or a write to keep.
 */
const INDEXES: ReadonlyArray<[name: string, column: string]> = [
  ['crt_dossiers_province_idx', 'province_nis'],
  ['crt_dossiers_housing_type_idx', 'housing_type'],
  ['crt_dossiers_residence_status_idx', 'residence_status'],
];

export class CrtFilterIndexesWithStage1733529600200 implements MigrationInterface {
  name = 'CrtFilterIndexesWithStage1733529600200';

  async up(runner: QueryRunner): Promise<void> {
    for (const [name, column] of INDEXES) {
      await runner.query(`DROP INDEX read_models.${name}`);
      await runner.query(`CREATE INDEX ${name} ON read_models.crt_dossiers (${column}, stage)`);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const [name, column] of INDEXES) {
      await runner.query(`DROP INDEX read_models.${name}`);
      await runner.query(`CREATE INDEX ${name} ON read_models.crt_dossiers (${column})`);
    }
  }
}
