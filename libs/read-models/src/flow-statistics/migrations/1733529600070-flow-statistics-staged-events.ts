import type { MigrationInterface, QueryRunner } from 'typeorm';
import { FlowStatisticsCountsBehind1733529600060 } from './1733529600060-flow-statistics-counts-behind';

/**
 * stat_events_staged: the events a one-pass fold of the flow statistics has kept (rebuild,
 * catch-up from empty tables) and not yet folded into rows and counts: it copies them here at
 * each flush, unindexed, and folds them, dossier by dossier in one sorted read, at its last
 * (flow-statistics.projection.ts). A fold that ends without its last flush leaves them here, and
 * the next start finishes it (or the next batch the live path applies folds them first). Its
 * down() refuses while events are staged: the version before has nowhere to keep them. It replaces stat_counts_behind (the
 * counts' changes held in memory, with the rows written at each flush): a database that an
 * earlier version's fold left with its counts behind gets its kept events staged and its rows
 * and counts emptied, so that its next batch folds them all again.
 */
export class FlowStatisticsStagedEvents1733529600070 implements MigrationInterface {
  name = 'FlowStatisticsStagedEvents1733529600070';

  async up(runner: QueryRunner): Promise<void> {
    // A kept event's columns of stat_events, without where it counts and when it held; unindexed.
    await runner.query('CREATE TABLE read_models.stat_events_staged (LIKE read_models.stat_events)');
    await runner.query(`
      ALTER TABLE read_models.stat_events_staged
        DROP COLUMN municipality, DROP COLUMN province_nis, DROP COLUMN housing_municipality, DROP COLUMN housing_province_nis,
        DROP COLUMN recorded_from, DROP COLUMN recorded_to,
        -- As RecordedEvent.createdAt gives it (UTC ISO with milliseconds): read back unchanged.
        ALTER COLUMN recorded_at TYPE text`);
    const [{ behind }] = await runner.query('SELECT EXISTS (SELECT 1 FROM read_models.stat_counts_behind) AS behind');
    if (behind) {
      await runner.query(`
        INSERT INTO read_models.stat_events_staged (dossier_id, version, type, occurred_on, event_municipality, housing_type, reason, trajectory,
                                                    residence_status, previous_residence_status, recorded_at)
        SELECT dossier_id, version, type, occurred_on, event_municipality, housing_type, reason, trajectory, residence_status, previous_residence_status,
               to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
          FROM read_models.stat_events WHERE recorded_to IS NULL`);
      await runner.query(
        'TRUNCATE read_models.stat_events, read_models.stat_dossier_periods, read_models.stat_date_counts, read_models.stat_flow_counts, read_models.stat_flow_days',
      );
    }
    await runner.query('DROP TABLE read_models.stat_counts_behind');
  }

  async down(runner: QueryRunner): Promise<void> {
    const [{ staged }] = await runner.query('SELECT EXISTS (SELECT 1 FROM read_models.stat_events_staged) AS staged');
    if (staged) {
      throw new Error(
        `Not reverting ${this.name}: read_models.stat_events_staged holds events a one-pass fold of flow-statistics has not folded ` +
          'into its rows and counts yet, and the version before has nowhere to keep them. Start this version until flow-statistics ' +
          'has caught up (it folds them), then revert; or, to revert now, empty read_models.stat_events_staged and rebuild ' +
          'flow-statistics once reverted (npm run projections:rebuild -- flow-statistics): until then its statistics miss those events.',
      );
    }
    await new FlowStatisticsCountsBehind1733529600060().up(runner);
    await runner.query('DROP TABLE read_models.stat_events_staged');
  }
}
