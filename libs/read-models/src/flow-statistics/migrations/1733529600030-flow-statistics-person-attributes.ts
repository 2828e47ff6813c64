import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the breakdowns by sex and age band need of a person, and nothing more: per dossier, from
 * its registration on, runs of days in one age band with the person's sex. The birth date itself
 * is not kept (docs/erasure.md); NULL is unknown (sex not recorded; birth date erased or not
 * readable). Filled by the projection: a read model kept by an earlier version must be rebuilt.
 */
export class FlowStatisticsPersonAttributes1733529600030 implements MigrationInterface {
  name = 'FlowStatisticsPersonAttributes1733529600030';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE read_models.stat_person_attributes (
        dossier_id  uuid NOT NULL,
        valid_from  date NOT NULL,
        valid_to    date,
        sex         text,
        age_band    text,
        CONSTRAINT stat_person_attributes_pkey PRIMARY KEY (dossier_id, valid_from)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE read_models.stat_person_attributes');
  }
}
