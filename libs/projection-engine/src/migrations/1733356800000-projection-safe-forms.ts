import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events a projection stored in a safe form or left out (libs/projection-engine/src/safe-form.ts),
 * per checkpoint: the projection's own, or `<name>#rebuild` while a rebuild builds its copy (the
 * switch moves them over). What was stored instead, and why, by field and kind of error: never
 * a value of the event.
 *
 * A stopped projection's checkpoint gets the id of the event it stopped at, and loses the error
 * text an earlier version kept there: it quoted PostgreSQL's message, which can quote the event's
 * data. What stays is the event and its position.
 */
export class ProjectionSafeForms1733356800000 implements MigrationInterface {
  name = 'ProjectionSafeForms1733356800000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE read_models.projection_safe_forms (
        checkpoint       text          NOT NULL,
        event_id         uuid          NOT NULL,
        event_type       text          NOT NULL,
        position_commit  numeric(20,0) NOT NULL,
        position_prepare numeric(20,0) NOT NULL,
        fields           jsonb         NOT NULL DEFAULT '[]',
        left_out         text,
        noted_at         timestamptz   NOT NULL DEFAULT now(),
        CONSTRAINT projection_safe_forms_pkey PRIMARY KEY (checkpoint, event_id)
      )`);
    await runner.query(
      'CREATE INDEX projection_safe_forms_position_idx ON read_models.projection_safe_forms (checkpoint, position_commit, position_prepare)',
    );
    await runner.query('ALTER TABLE read_models.projection_checkpoints ADD COLUMN error_event_id uuid');
    await runner.query(`
      UPDATE read_models.projection_checkpoints
         SET error = coalesce(substring(error FROM '^.*?position [0-9]+/[0-9]+\\)'), 'Projection stopped') ||
                     ': (the error text of an earlier version is not shown: it could quote the event''s data)'
       WHERE error IS NOT NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE read_models.projection_checkpoints DROP COLUMN error_event_id');
    await runner.query('DROP TABLE read_models.projection_safe_forms');
  }
}
