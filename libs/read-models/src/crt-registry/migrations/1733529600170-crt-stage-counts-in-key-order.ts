import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * crt_stage_counts' trigger function (CrtStageCounts1733529600160) upserts a statement's counts in
 * key order. It upserted them in the order its GROUP BY produced them, and hash aggregation's order
 * follows the number of groups: two statements whose groups overlap could lock the same counts in
 * opposite orders and deadlock (two groups against five: 44021 before 11002 for the two, after it for
 * the five; crt-stage-counts.spec.ts). One writer, the projection under its advisory lock, writes
 * crt_dossiers today; a rebuild's copy beside the live path or two instances during a failover would
 * be two. In key order, a statement waits for the other's first shared count instead, and each lock
 * it then asks for lies after every lock it holds.
 *
 * A count falling to 0 is removed by a DELETE that locks only the rows its own statement set to 0
 * (another transaction's uncommitted 0 is not the version it reads), so it needs no order.
 */
const keepStageCounts = (order: string) => `
  CREATE OR REPLACE FUNCTION read_models.crt_keep_stage_counts() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'TRUNCATE' THEN
      EXECUTE format('DELETE FROM %I.crt_stage_counts', TG_TABLE_SCHEMA);
      RETURN NULL;
    END IF;
    EXECUTE format(
      'INSERT INTO %I.crt_stage_counts AS kept (municipality, stage, dossiers)
       SELECT municipality, stage, sum(n) FROM (%s) changes GROUP BY municipality, stage HAVING sum(n) <> 0${order}
       ON CONFLICT (municipality, stage) DO UPDATE SET dossiers = kept.dossiers + EXCLUDED.dossiers',
      TG_TABLE_SCHEMA,
      CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT municipality, stage, 1 AS n FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT municipality, stage, -1 AS n FROM old_rows'
        ELSE 'SELECT municipality, stage, 1 AS n FROM new_rows UNION ALL SELECT municipality, stage, -1 FROM old_rows'
      END);
    EXECUTE format('DELETE FROM %I.crt_stage_counts WHERE dossiers = 0', TG_TABLE_SCHEMA);
    RETURN NULL;
  END $$`;

export class CrtStageCountsInKeyOrder1733529600170 implements MigrationInterface {
  name = 'CrtStageCountsInKeyOrder1733529600170';

  async up(runner: QueryRunner): Promise<void> {
    // The primary key's order (same columns, same collation).
    await runner.query(keepStageCounts(' ORDER BY municipality, stage'));
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(keepStageCounts(''));
  }
}
