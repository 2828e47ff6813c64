import { activityChanges } from './pg-activity';

describe('activityChanges', () => {
  it('gives what each counter moved, leaving out those that did not', () => {
    const before = { server: { pg_stat_wal: { wal_records: 100, wal_bytes: 5000, wal_fpi: 3 } }, tables: {} };
    const after = { server: { pg_stat_wal: { wal_records: 160, wal_bytes: 9000, wal_fpi: 3 } }, tables: {} };
    expect(activityChanges(before, after).server).toEqual({ pg_stat_wal: { wal_records: 60, wal_bytes: 4000 } });
  });

  it('keeps the tables whose counters moved, a table new in the stretch counted from zero, and not those only read', () => {
    const before = {
      server: {},
      tables: { 'crt.crt_dossiers': { n_tup_ins: 10, autovacuum_count: 0, n_live_tup: 10 }, 'event_store.events': { n_tup_ins: 500, n_live_tup: 500 } },
    };
    const after = {
      server: {},
      tables: {
        'crt.crt_dossiers': { n_tup_ins: 110, autovacuum_count: 2, total_autovacuum_time: 812.5, n_live_tup: 110 },
        'event_store.events': { n_tup_ins: 500, n_live_tup: 501 },
        'stat.stat_events': { n_tup_ins: 40, autoanalyze_count: 1 },
      },
    };
    expect(activityChanges(before, after).tables).toEqual({
      'crt.crt_dossiers': { n_tup_ins: 100, autovacuum_count: 2, total_autovacuum_time: 812.5, n_live_tup: 100 },
      'stat.stat_events': { n_tup_ins: 40, autoanalyze_count: 1 },
    });
  });
});
