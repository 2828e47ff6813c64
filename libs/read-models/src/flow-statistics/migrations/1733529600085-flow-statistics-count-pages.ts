import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DATE_COUNTS } from '../aggregates';
import { FLOW_COUNTS, FLOW_DAYS } from '../aggregates/flows';

/** The tables of counts kept as sums over dossiers (aggregates/delta.ts). */
const COUNT_TABLES = [DATE_COUNTS, FLOW_COUNTS, FLOW_DAYS].map((table) => `read_models.${table.name}`);

/**
 * How the kept counts lie in their pages (docs/statistics.md, "How the kept counts lie on disk"):
 * a tenth of each page left free (fillfactor 90), so the live path's change of a count is written
 * on its own page (a HOT update: no new index entry) instead of wherever there is room, and the
 * rows a question reads stay on neighbouring pages; and the rows laid out once in the order of
 * the primary key (CLUSTER), as a one-pass fold now writes them, so an upgrade needs no rebuild.
 * CLUSTER locks each table while it rewrites it (seconds at a million dossiers).
 */
export class FlowStatisticsCountPages1733529600085 implements MigrationInterface {
  name = 'FlowStatisticsCountPages1733529600085';

  async up(runner: QueryRunner): Promise<void> {
    for (const table of COUNT_TABLES) {
      await runner.query(`ALTER TABLE ${table} SET (fillfactor = 90)`);
      await runner.query(`CLUSTER ${table} USING ${table.slice('read_models.'.length)}_pkey`);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of COUNT_TABLES) {
      await runner.query(`ALTER TABLE ${table} RESET (fillfactor)`);
      await runner.query(`ALTER TABLE ${table} SET WITHOUT CLUSTER`);
    }
  }
}
