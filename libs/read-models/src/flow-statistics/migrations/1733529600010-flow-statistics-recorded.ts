import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The flow statistics become bitemporal: each event keeps the moment the event store recorded it
 * (`recorded_at`), and each row of both tables holds from `recorded_from` to `recorded_to` (null:
 * still) on the recording axis, so a question can be answered as of any moment. A row is one
 * recording moment's, so the keys gain `recorded_from`. The indexes the questions about now use
 * cover only the rows valid now (`recorded_to IS NULL`), so those questions read no more than
 * before. The rows found here were kept without their recording moments: they are marked as
 * recorded now, and a rebuild after upgrading gives them their own (docs/read-models.md).
 */
export class FlowStatisticsRecorded1733529600010 implements MigrationInterface {
  name = 'FlowStatisticsRecorded1733529600010';

  async up(runner: QueryRunner): Promise<void> {
    // Milliseconds, as the projection writes and compares the moments (RecordedEvent.createdAt).
    const now = "date_trunc('milliseconds', now())";
    await runner.query(`
      ALTER TABLE read_models.stat_events
        ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT ${now},
        ADD COLUMN recorded_from timestamptz NOT NULL DEFAULT ${now},
        ADD COLUMN recorded_to timestamptz`);
    await runner.query(`
      ALTER TABLE read_models.stat_dossier_periods
        ADD COLUMN recorded_from timestamptz NOT NULL DEFAULT ${now},
        ADD COLUMN recorded_to timestamptz`);
    // The projection writes them for every row; the defaults only filled the rows above.
    await runner.query('ALTER TABLE read_models.stat_events ALTER COLUMN recorded_at DROP DEFAULT, ALTER COLUMN recorded_from DROP DEFAULT');
    await runner.query('ALTER TABLE read_models.stat_dossier_periods ALTER COLUMN recorded_from DROP DEFAULT');
    await runner.query(`
      ALTER TABLE read_models.stat_events
        DROP CONSTRAINT stat_events_pkey,
        ADD CONSTRAINT stat_events_pkey PRIMARY KEY (dossier_id, version, recorded_from)`);
    await runner.query(`
      ALTER TABLE read_models.stat_dossier_periods
        DROP CONSTRAINT stat_dossier_periods_pkey,
        ADD CONSTRAINT stat_dossier_periods_pkey PRIMARY KEY (dossier_id, valid_from, recorded_from)`);
    await runner.query('DROP INDEX read_models.stat_events_occurred_on_idx');
    await runner.query('CREATE INDEX stat_events_occurred_on_idx ON read_models.stat_events (occurred_on, type) WHERE recorded_to IS NULL');
    await runner.query('DROP INDEX read_models.stat_dossier_periods_active_idx');
    await runner.query(
      'CREATE INDEX stat_dossier_periods_active_idx ON read_models.stat_dossier_periods (valid_from, valid_to) WHERE active AND recorded_to IS NULL',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    // Back to one row per event and period: the rows valid now.
    await runner.query('DELETE FROM read_models.stat_events WHERE recorded_to IS NOT NULL');
    await runner.query('DELETE FROM read_models.stat_dossier_periods WHERE recorded_to IS NOT NULL');
    await runner.query('DROP INDEX read_models.stat_dossier_periods_active_idx');
    await runner.query('CREATE INDEX stat_dossier_periods_active_idx ON read_models.stat_dossier_periods (valid_from, valid_to) WHERE active');
    await runner.query('DROP INDEX read_models.stat_events_occurred_on_idx');
    await runner.query('CREATE INDEX stat_events_occurred_on_idx ON read_models.stat_events (occurred_on, type)');
    await runner.query(`
      ALTER TABLE read_models.stat_dossier_periods
        DROP CONSTRAINT stat_dossier_periods_pkey,
        ADD CONSTRAINT stat_dossier_periods_pkey PRIMARY KEY (dossier_id, valid_from),
        DROP COLUMN recorded_from,
        DROP COLUMN recorded_to`);
    await runner.query(`
      ALTER TABLE read_models.stat_events
        DROP CONSTRAINT stat_events_pkey,
        ADD CONSTRAINT stat_events_pkey PRIMARY KEY (dossier_id, version),
        DROP COLUMN recorded_at,
        DROP COLUMN recorded_from,
        DROP COLUMN recorded_to`);
  }
}
