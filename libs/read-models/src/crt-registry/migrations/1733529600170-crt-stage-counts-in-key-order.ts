import type { MigrationInterface, QueryRunner } from 'typeorm';
import { keepStageCountsFunction } from './1733529600160-crt-stage-counts';

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
export class CrtStageCountsInKeyOrder1733529600170 implements MigrationInterface {
  name = 'CrtStageCountsInKeyOrder1733529600170';

  async up(runner: QueryRunner): Promise<void> {
    // The primary key's order (same columns, same collation).
    await runner.query(keepStageCountsFunction('CREATE OR REPLACE', ' ORDER BY municipality, stage'));
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(keepStageCountsFunction('CREATE OR REPLACE'));
  }
}
