import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two indexes of the registry that no list's plan reads: `active` (a status filter is one dossier
 * in three or more, read along the sort's index) and `stage` (a stage filter is read along the
 * sort's index too, and where a plan wants the stage from an index, crt_dossiers_municipality_idx
 * (municipality, stage, …) serves it by skip scan since PostgreSQL 18). EXPLAIN of the list's
 * statements over every documented filter and sort, at 116,000 and 1,000,000 dossiers, picked
 * either only for a page filtered by province, stage and housing type together, whose plan without
 * them is as fast (bench/README.md, "The CRT registry's rebuild: indexes and the personal blocks").
 * A list's total by status or stage is summed from crt_stage_counts, not counted from an index.
 * Each index a rebuild builds after its fold is time the rebuild waits: these two were 0.3 of its
 * 3.9 s of index builds at 116,000 dossiers.
 */
const INDEXES: ReadonlyArray<[name: string, columns: string]> = [
  ['crt_dossiers_active_idx', 'active'],
  ['crt_dossiers_stage_idx', 'stage'],
];

export class CrtWithoutUnusedIndexes1733529600190 implements MigrationInterface {
  name = 'CrtWithoutUnusedIndexes1733529600190';

  async up(runner: QueryRunner): Promise<void> {
    for (const [name] of INDEXES) await runner.query(`DROP INDEX read_models.${name}`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const [name, columns] of INDEXES) await runner.query(`CREATE INDEX ${name} ON read_models.crt_dossiers (${columns})`);
  }
}
