import { benchConfig, BenchConfigError, REBUILD_PARTS } from './config';

describe('the bench settings', () => {
  describe('BENCH_REBUILDS', () => {
    it('runs the catch-up and every projection’s rebuild when unset', () => {
      expect(benchConfig({}).rebuilds).toEqual(REBUILD_PARTS);
      expect(benchConfig({ BENCH_REBUILDS: ' ' }).rebuilds).toEqual(REBUILD_PARTS);
    });

    it('runs only the parts it names, in the scenario’s order, each once', () => {
      const config = benchConfig({ BENCH_REBUILDS_ONLY: '1', BENCH_REBUILDS: 'dossier-archive, flow-statistics,dossier-archive' });
      expect(config.rebuilds).toEqual(['flow-statistics', 'dossier-archive']);
      expect(benchConfig({ BENCH_REBUILDS: 'crt-registry,catch-up' }).rebuilds).toEqual(['catch-up', 'crt-registry']);
    });

    it('stops at a name it does not know, naming the setting', () => {
      expect(() => benchConfig({ BENCH_REBUILDS_ONLY: '1', BENCH_REBUILDS: 'flow-statistic' })).toThrow(BenchConfigError);
      expect(() => benchConfig({ BENCH_REBUILDS_ONLY: '1', BENCH_REBUILDS: 'flow-statistic' })).toThrow(/BENCH_REBUILDS/);
    });

    it('leaves the catch-up out only in a run of the rebuilds alone: the queries read the read models it fills', () => {
      expect(() => benchConfig({ BENCH_REBUILDS: 'flow-statistics' })).toThrow(/BENCH_REBUILDS_ONLY/);
      expect(benchConfig({ BENCH_REBUILDS_ONLY: '1', BENCH_REBUILDS: 'flow-statistics' }).rebuilds).toEqual(['flow-statistics']);
    });
  });
});
