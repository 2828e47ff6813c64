import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The names' trigram index keeps its pending list (GIN's fastupdate: a row's new entries listed,
 * merged into the index in bulk later) at most 256 kB instead of PostgreSQL's 4 MB. Every search
 * reads the whole list, and between merges it grows with every row the projection writes (a
 * dossier's row is rewritten on each of its events, `last_recorded_at` being indexed): a registry
 * written all day searched a name through up to 4 MB of it, several times the index's own reads
 * (bench/README.md, "The names' trigram index between merges"). 256 kB keeps the bulk merges
 * (without the list each row's some thirty trigrams go into the index one by one) at a bounded
 * cost for a search. A rebuild's index takes the setting with its definition.
 */
export class CrtSearchPendingListLimit1733529600240 implements MigrationInterface {
  name = 'CrtSearchPendingListLimit1733529600240';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER INDEX read_models.crt_dossiers_search_trgm_idx SET (gin_pending_list_limit = 256)');
    await runner.query(`SELECT gin_clean_pending_list('read_models.crt_dossiers_search_trgm_idx'::regclass)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER INDEX read_models.crt_dossiers_search_trgm_idx RESET (gin_pending_list_limit)');
  }
}
