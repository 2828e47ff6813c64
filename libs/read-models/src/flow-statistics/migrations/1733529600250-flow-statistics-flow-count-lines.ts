import type { MigrationInterface, QueryRunner } from 'typeorm';
import { flowCountLine } from '../aggregates/flows';

/**
 * Each row of stat_flow_counts keeps its count as a flows read sends it (`line`, a stored
 * generated column: aggregates/flows.ts's flowCountLine), written when the row is written, so
 * that a read of whole periods sends the lines as they are instead of writing some 1,300 of them
 * for every answer of four years by month. PostgreSQL computes it on every insert, update and
 * COPY that names the other columns (the projection's writes all do), and a rebuild's copy of the
 * table (LIKE … INCLUDING ALL) has it too. Adding it rewrites the table once.
 */
export class FlowStatisticsFlowCountLines1733529600250 implements MigrationInterface {
  name = 'FlowStatisticsFlowCountLines1733529600250';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE read_models.stat_flow_counts ADD COLUMN line text GENERATED ALWAYS AS (${flowCountLine('events', 'persons')}) STORED`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE read_models.stat_flow_counts DROP COLUMN line');
  }
}
