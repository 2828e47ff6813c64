import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * stat_events_staged is left out of autovacuum: a one-pass fold (a catch-up from empty tables, a
 * rebuild, whose copy takes the live table's storage parameters) copies the kept events into it at
 * each flush and empties it with TRUNCATE at its last, and nothing else writes it. Autovacuum came
 * to it while it filled (the rows inserted since its last vacuum past a fifth of it): a vacuum of
 * every page copied so far and an analyze, for a table that no index reads, that one sort reads
 * whole, and that is emptied at the end, at a million dossiers many times over as it grew
 * (bench/README.md, "The catch-up's PostgreSQL CPU by process kind (eighteenth session)").
 */
export class FlowStatisticsStagedWithoutAutovacuum1733529600220 implements MigrationInterface {
  name = 'FlowStatisticsStagedWithoutAutovacuum1733529600220';

  async up(runner: QueryRunner): Promise<void> {
    // Autoanalyze too. PostgreSQL still vacuums it against transaction ID wraparound, which this does not stop.
    await runner.query('ALTER TABLE read_models.stat_events_staged SET (autovacuum_enabled = false)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE read_models.stat_events_staged RESET (autovacuum_enabled)');
  }
}
