import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every dossier read inserts an access-log row before its answer leaves. With GIN's pending list
 * (fastupdate, PostgreSQL's default) the row's dossier ids went into a list that the insert which
 * finds it past gin_pending_list_limit (4 MB) merged into the index itself, in the foreground:
 * one read in tens of thousands waited 300 to 480 ms for it (bench/README.md, "The access log's
 * GIN index"). Without the list each insert adds its few ids to the index at once, at about the
 * same mean cost and without that wait. The entries already listed are merged now.
 */
export class AccessLogGinWithoutPendingList1733529600110 implements MigrationInterface {
  name = 'AccessLogGinWithoutPendingList1733529600110';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER INDEX access_log_dossier_ids_idx SET (fastupdate = off)');
    await runner.query(`SELECT gin_clean_pending_list('access_log_dossier_ids_idx'::regclass)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER INDEX access_log_dossier_ids_idx RESET (fastupdate)');
  }
}
