import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A municipality's list in any order the API offers is read in order from an index that holds the
 * filter and the sort together, and stops after the page. Without these, a municipality's list by
 * family name, last change or municipality name walked that sort's index over the whole registry
 * and filtered on the way, since PostgreSQL cannot tell how far the municipality's rows lie along
 * another column's order: the page of a rare municipality and stage by municipality name read
 * 165,000 rows (0.8 s) at 1,000,000 dossiers, Antwerpen's by that name descending 854,000 (5.2 s)
 * (bench/README.md, "The CRT list at a million dossiers"). The registration order's indexes are
 * CrtListIndexes1733443201400's. A rebuild builds them after its fold, as every secondary index.
 */
const INDEXES: ReadonlyArray<[name: string, columns: string]> = [
  ['crt_dossiers_municipality_family_name_idx', 'municipality, family_name, dossier_id'],
  ['crt_dossiers_municipality_last_recorded_at_idx', 'municipality, last_recorded_at, dossier_id'],
  ['crt_dossiers_municipality_municipality_name_idx', 'municipality, municipality_name, dossier_id'],
];

export class CrtMunicipalitySortIndexes1733529600150 implements MigrationInterface {
  name = 'CrtMunicipalitySortIndexes1733529600150';

  async up(runner: QueryRunner): Promise<void> {
    for (const [name, columns] of INDEXES) await runner.query(`CREATE INDEX ${name} ON read_models.crt_dossiers (${columns})`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const [name] of INDEXES) await runner.query(`DROP INDEX read_models.${name}`);
  }
}
