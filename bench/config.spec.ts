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

  describe('BENCH_QUERY_KINDS', () => {
    it('asks every kind when unset', () => {
      expect(benchConfig({}).queryKinds).toEqual([]);
    });

    it('splits at a comma without a space after it, so that a kind whose name has ", " in it can be asked alone', () => {
      expect(benchConfig({ BENCH_QUERY_KINDS: 'CRT,flows' }).queryKinds).toEqual(['CRT', 'flows']);
      expect(benchConfig({ BENCH_QUERY_KINDS: 'flows, 4 years,one dossier' }).queryKinds).toEqual(['flows, 4 years', 'one dossier']);
    });
  });

  describe('BENCH_SERVICE_NODE_ARGS and BENCH_SERVICE_OUTPUT', () => {
    it('gives the service no options of its own and discards its output when unset', () => {
      expect(benchConfig({})).toMatchObject({ serviceNodeArgs: [], serviceOutput: null });
      expect(benchConfig({ BENCH_SERVICE_NODE_ARGS: ' ', BENCH_SERVICE_OUTPUT: ' ' })).toMatchObject({ serviceNodeArgs: [], serviceOutput: null });
    });

    it('splits the options at spaces and keeps the output file named', () => {
      const config = benchConfig({ BENCH_SERVICE_NODE_ARGS: ' --trace-gc-nvp  --max-semi-space-size=32 ', BENCH_SERVICE_OUTPUT: '/tmp/service.log' });
      expect(config.serviceNodeArgs).toEqual(['--trace-gc-nvp', '--max-semi-space-size=32']);
      expect(config.serviceOutput).toBe('/tmp/service.log');
    });

    it('stops at a word that is not an option, naming the setting', () => {
      expect(() => benchConfig({ BENCH_SERVICE_NODE_ARGS: '--trace-gc-nvp trace' })).toThrow(/BENCH_SERVICE_NODE_ARGS.*"trace"/);
    });
  });
});
