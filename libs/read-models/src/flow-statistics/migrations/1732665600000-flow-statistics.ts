import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The flow-statistics read model (no personal data: no names, birth dates, national register or
 * attestation numbers) and the statistics settings. No serial columns and no foreign keys, because
 * a rebuild copies the projection's tables with CREATE TABLE ... (LIKE ... INCLUDING ALL).
 * statistics_settings is not a projection table: a rebuild leaves it alone.
 */
export class FlowStatistics1732665600000 implements MigrationInterface {
  name = 'FlowStatistics1732665600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE read_models.stat_events (
        dossier_id          uuid    NOT NULL,
        version             integer NOT NULL,
        type                text    NOT NULL,
        occurred_on         date    NOT NULL,
        event_municipality  text,
        housing_type        text,
        reason              text,
        trajectory          text,
        municipality        text,
        province_nis        text,
        CONSTRAINT stat_events_pkey PRIMARY KEY (dossier_id, version)
      )`);
    await runner.query('CREATE INDEX stat_events_occurred_on_idx ON read_models.stat_events (occurred_on, type)');
    await runner.query(`
      CREATE TABLE read_models.stat_dossier_periods (
        dossier_id     uuid    NOT NULL,
        valid_from     date    NOT NULL,
        valid_to       date,
        active         boolean NOT NULL,
        stage          text    NOT NULL,
        housing_type   text,
        municipality   text    NOT NULL,
        province_nis   text,
        employed_now   boolean NOT NULL,
        ever_employed  boolean NOT NULL,
        vdab           boolean NOT NULL,
        inburgering    boolean NOT NULL,
        CONSTRAINT stat_dossier_periods_pkey PRIMARY KEY (dossier_id, valid_from)
      )`);
    await runner.query(
      'CREATE INDEX stat_dossier_periods_active_idx ON read_models.stat_dossier_periods (valid_from, valid_to) WHERE active',
    );
    await runner.query(`
      CREATE TABLE read_models.statistics_settings (
        id             boolean     NOT NULL DEFAULT true CHECK (id),
        suppress_below integer     NOT NULL CHECK (suppress_below BETWEEN 0 AND 100),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        updated_by     text,
        CONSTRAINT statistics_settings_pkey PRIMARY KEY (id)
      )`);
    await runner.query('INSERT INTO read_models.statistics_settings (id, suppress_below) VALUES (true, 5)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE read_models.statistics_settings');
    await runner.query('DROP TABLE read_models.stat_dossier_periods');
    await runner.query('DROP TABLE read_models.stat_events');
  }
}
