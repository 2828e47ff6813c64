import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two indexes of the registry the list's plans do without: `active` (a status is one dossier in
 * four or more, read along the sort's index) and `stage` (one in fifteen or more, read the same
 * way; where a plan wants the stage from an index, crt_dossiers_municipality_idx (municipality,
 * stage, …) serves it by skip scan since PostgreSQL 18). EXPLAIN of the list's statements over
 * every documented filter and sort read either only for a filter of province, stage and housing
 * type together: its pages took up to 11 ms without them at 116,000 dossiers (4 with), and at
 * 1,000,000 two such totals changed plan, beyond 20 ms with them or without (bench/README.md,
 * "The CRT registry's rebuild: indexes and the personal blocks"). A list's total by status or stage
 * is summed from crt_stage_counts, not counted. Each index is a build a rebuild waits for after its
 * fold: these two were 0.3 of its 3.9 s of index builds at 116,000 dossiers.
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
