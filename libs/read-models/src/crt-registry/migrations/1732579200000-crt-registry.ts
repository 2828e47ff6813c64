import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The CRT registry read model: one row per dossier. No serial columns and no foreign keys,
 * because a rebuild copies the table with CREATE TABLE ... (LIKE ... INCLUDING ALL).
 * stage, active and search_text are generated, so the rule that derives them lives in one place
 * and no handler can leave them stale.
 */
export class CrtRegistry1732579200000 implements MigrationInterface {
  name = 'CrtRegistry1732579200000';

  async up(runner: QueryRunner): Promise<void> {
    // Trusted since PostgreSQL 13: a database owner may create it without superuser rights.
    await runner.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await runner.query(`
      CREATE TABLE read_models.crt_dossiers (
        dossier_id               uuid        NOT NULL,
        version                  integer     NOT NULL,
        given_name               text        NOT NULL,
        family_name              text        NOT NULL,
        birth_date               date        NOT NULL,
        national_register_number text,
        sex                      text,
        nationality              text        NOT NULL,
        municipality             text        NOT NULL,
        municipality_name        text,
        province_nis             text,
        province_name            text,
        registered_on            date        NOT NULL,
        housing_type             text,
        housing_municipality     text,
        housing_since            date,
        inburgering_trajectory   text,
        inburgering_since        date,
        vdab_registered_on       date,
        ever_employed            boolean     NOT NULL,
        employed_now             boolean     NOT NULL,
        employment_since         date,
        left_on                  date,
        left_reason              text,
        last_recorded_at         timestamptz NOT NULL,
        active                   boolean     GENERATED ALWAYS AS (left_on IS NULL) STORED,
        stage                    text        GENERATED ALWAYS AS (
          CASE
            WHEN left_on IS NOT NULL THEN 'left'
            WHEN employed_now THEN 'employed'
            WHEN vdab_registered_on IS NOT NULL THEN 'vdab'
            WHEN inburgering_since IS NOT NULL THEN 'inburgering'
            WHEN housing_type IS NOT NULL THEN 'housed'
            ELSE 'registered'
          END) STORED,
        search_text              text        GENERATED ALWAYS AS (
          lower(given_name || ' ' || family_name || ' ' || coalesce(national_register_number, ''))) STORED,
        CONSTRAINT crt_dossiers_pkey PRIMARY KEY (dossier_id)
      )`);
    // Sort keys end in dossier_id, the tiebreak of every listing, so a page is an index range.
    await runner.query('CREATE INDEX crt_dossiers_registered_on_idx ON read_models.crt_dossiers (registered_on, dossier_id)');
    await runner.query('CREATE INDEX crt_dossiers_family_name_idx ON read_models.crt_dossiers (family_name, dossier_id)');
    await runner.query('CREATE INDEX crt_dossiers_municipality_name_idx ON read_models.crt_dossiers (municipality_name, dossier_id)');
    await runner.query('CREATE INDEX crt_dossiers_last_recorded_at_idx ON read_models.crt_dossiers (last_recorded_at, dossier_id)');
    // Also serves the per-stage counts of a municipality's summary.
    await runner.query('CREATE INDEX crt_dossiers_municipality_idx ON read_models.crt_dossiers (municipality, stage)');
    await runner.query('CREATE INDEX crt_dossiers_province_idx ON read_models.crt_dossiers (province_nis)');
    await runner.query('CREATE INDEX crt_dossiers_housing_type_idx ON read_models.crt_dossiers (housing_type)');
    await runner.query('CREATE INDEX crt_dossiers_stage_idx ON read_models.crt_dossiers (stage)');
    await runner.query('CREATE INDEX crt_dossiers_active_idx ON read_models.crt_dossiers (active)');
    // q is a substring search (ILIKE '%…%'), which only a trigram index can serve.
    await runner.query('CREATE INDEX crt_dossiers_search_trgm_idx ON read_models.crt_dossiers USING gin (search_text gin_trgm_ops)');
  }

  async down(runner: QueryRunner): Promise<void> {
    // pg_trgm stays: other tables may use it.
    await runner.query('DROP TABLE read_models.crt_dossiers');
  }
}
