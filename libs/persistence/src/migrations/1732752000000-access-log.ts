import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AccessLog1732752000000 implements MigrationInterface {
  name = 'AccessLog1732752000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE access_log (
        id             uuid        PRIMARY KEY,
        at             timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor          text        NOT NULL,
        roles          text[]      NOT NULL,
        method         text        NOT NULL,
        path           text        NOT NULL,
        purpose        text,
        dossier_ids    uuid[]      NOT NULL,
        correlation_id text        NOT NULL
      )`);
    await runner.query('CREATE INDEX access_log_at_idx ON access_log (at)');
    await runner.query('CREATE INDEX access_log_actor_at_idx ON access_log (actor, at)');
    await runner.query('CREATE INDEX access_log_dossier_ids_idx ON access_log USING gin (dossier_ids)');
    // The record of who looked cannot be rewritten by whoever looked.
    await runner.query(`
      CREATE FUNCTION access_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'access_log is append-only';
      END $$`);
    await runner.query(`
      CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON access_log
      FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE access_log');
    await runner.query('DROP FUNCTION access_log_is_append_only()');
  }
}
