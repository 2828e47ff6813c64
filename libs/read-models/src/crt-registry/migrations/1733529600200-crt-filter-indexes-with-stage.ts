import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The indexes of the province, the housing type and the residence status hold the stage after
 * the filter's own column, so one of them with a stage or a status (a status is asked of the
 * stage, CrtRegistryReader) is one narrow range of an index, counted and gathered from the entries
 * that match instead of a bitmap of every dossier of the value combined with one of every dossier
 * at the stage: at 1,000,000 dossiers a stage and a housing type counted from 10,001 entries,
 * index only, where bitmaps of 110,979 and 73,863 were built; a province, stage and housing type
 * (2,646 matches) read from the housing type and stage's 27,351 entries and their rows, 26 ms a
 * page where the three bitmaps took 68 (bench/README.md, "The CRT list at a million: rare
 * combinations"). The column alone is still read by the index's first column. Each replaces the
 * index of its column alone: no more indexes for a rebuild to build or a write to keep.
 */
const INDEXES: ReadonlyArray<[name: string, column: string]> = [
  ['crt_dossiers_province_idx', 'province_nis'],
  ['crt_dossiers_housing_type_idx', 'housing_type'],
  ['crt_dossiers_residence_status_idx', 'residence_status'],
];

/** The three indexes dropped and built again, on their column and the stage or on their column alone. */
async function indexed(runner: QueryRunner, withStage: boolean): Promise<void> {
  for (const [name, column] of INDEXES) {
    await runner.query(`DROP INDEX read_models.${name}`);
    await runner.query(`CREATE INDEX ${name} ON read_models.crt_dossiers (${column}${withStage ? ', stage' : ''})`);
  }
}

export class CrtFilterIndexesWithStage1733529600200 implements MigrationInterface {
  name = 'CrtFilterIndexesWithStage1733529600200';

  up(runner: QueryRunner): Promise<void> {
    return indexed(runner, true);
  }

  down(runner: QueryRunner): Promise<void> {
    return indexed(runner, false);
  }
}
