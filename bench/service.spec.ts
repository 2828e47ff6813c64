import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceNodeOptions, START_NODE } from './service';

const root = join(__dirname, '..');
const entries = { api: 'dist/apps/api/apps/api/src/main.js', projector: 'dist/apps/projector/apps/projector/src/main.js' };
const withSetting =
  (name: 'HEAP_LIMIT_MIB' | 'HEAP_GROWTH_PERCENT' | 'HEAP_SEMI_SPACE_MIB') =>
  (value: string | undefined): NodeJS.ProcessEnv => {
    const env = { ...process.env };
    delete env.HEAP_LIMIT_MIB;
    delete env.HEAP_GROWTH_PERCENT;
    delete env.HEAP_SEMI_SPACE_MIB;
    return value === undefined ? env : { ...env, [name]: value };
  };
const withHeap = withSetting('HEAP_LIMIT_MIB');
const withGrowth = withSetting('HEAP_GROWTH_PERCENT');
const withSemiSpace = withSetting('HEAP_SEMI_SPACE_MIB');

describe('the service as the bench starts it', () => {
  it("starts the service and the projector as the start scripts and the container image do, V8's heap bounded by HEAP_LIMIT_MIB and grown by HEAP_GROWTH_PERCENT", () => {
    const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const name of ['start', 'start:prod', 'demo']) expect(scripts[name]).toMatch(new RegExp(`(^|&& )${START_NODE} ${entries.api}$`));
    expect(scripts['start:projector']).toMatch(new RegExp(`&& ${START_NODE} ${entries.projector}$`));
    const [cmd] = /^CMD (\[.*\])$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))!.slice(1);
    expect(JSON.parse(cmd)).toEqual([...START_NODE.split(' '), entries.api]);

    const options = (heap: number, growth = 100, semiSpace = 16) => [
      `--max-old-space-size=${heap}`,
      '--no-allocation-site-pretenuring',
      ...(growth === 0 ? [] : [`--heap-growing-percent=${growth}`]),
      ...(semiSpace === 0 ? [] : [`--min-semi-space-size=${semiSpace}`, `--max-semi-space-size=${semiSpace}`]),
    ];
    expect(serviceNodeOptions(withHeap(undefined))).toEqual(options(200));
    expect(serviceNodeOptions(withHeap(''))).toEqual(options(200));
    expect(serviceNodeOptions(withHeap('320'))).toEqual(options(320));
    // Trimmed, blank as unset: as the service reads its own settings (loadConfig).
    expect(serviceNodeOptions(withHeap(' 320 '))).toEqual(options(320));
    expect(serviceNodeOptions(withHeap('  '))).toEqual(options(200));
    expect(serviceNodeOptions(withGrowth('50'))).toEqual(options(200, 50));
    expect(serviceNodeOptions(withGrowth(' 400 '))).toEqual(options(200, 400));
    expect(serviceNodeOptions(withGrowth(''))).toEqual(options(200));
    // 0: V8's own growth, no option.
    expect(serviceNodeOptions(withGrowth('0'))).toEqual(options(200, 0));
    expect(serviceNodeOptions(withSemiSpace(' 32 '))).toEqual(options(200, 100, 32));
    // 0: V8's own sizing of the young generation, no option.
    expect(serviceNodeOptions(withSemiSpace('0'))).toEqual(options(200, 100, 0));
  });

  it('runs node with the heap HEAP_LIMIT_MIB says', () => {
    const [command, ...args] = START_NODE.split(' ');
    const limit = (value: string) => {
      const run = spawnSync(command, [...args, '-e', "console.log(require('v8').getHeapStatistics().heap_size_limit)"], { cwd: root, env: withHeap(value), encoding: 'utf8' });
      expect(run.status).toBe(0);
      return Number(run.stdout) / 2 ** 20;
    };
    // V8's limit is the old space plus the young generation's.
    expect(limit('150')).toBeGreaterThanOrEqual(150);
    expect(limit('150')).toBeLessThan(250);
    expect(limit('600')).toBeGreaterThanOrEqual(600);
    expect(limit('600')).toBeLessThan(700);
  });

  it("runs node with V8's allocation-site pretenuring off and its heap grown by HEAP_GROWTH_PERCENT (an option node takes)", () => {
    const [command, ...args] = START_NODE.split(' ');
    const execArgv = (env: NodeJS.ProcessEnv) => {
      const run = spawnSync(command, [...args, '-e', 'console.log(JSON.stringify(process.execArgv))'], { cwd: root, env, encoding: 'utf8' });
      expect(run.status).toBe(0);
      return JSON.parse(run.stdout) as string[];
    };
    const held = ['--min-semi-space-size=16', '--max-semi-space-size=16'];
    expect(execArgv(withHeap(undefined))).toEqual(['--max-old-space-size=200', '--no-allocation-site-pretenuring', '--heap-growing-percent=100', ...held, '-e', expect.any(String)]);
    expect(execArgv(withGrowth('0'))).toEqual(['--max-old-space-size=200', '--no-allocation-site-pretenuring', ...held, '-e', expect.any(String)]);
  });

  it('holds the young generation at HEAP_SEMI_SPACE_MIB while little of it survives, where V8 alone keeps it small', () => {
    const [command, ...args] = START_NODE.split(' ');
    // 256 MiB of arrays that die young, as a service's answers do; then how many scavenges that
    // took. V8's own sizing starts at 1 MiB semi-spaces and grows them only when much survives.
    const program = `
      const { PerformanceObserver, constants } = require('node:perf_hooks');
      let scavenges = 0;
      new PerformanceObserver((list) => { for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++; }).observe({ entryTypes: ['gc'] });
      let kept = 0;
      for (let i = 0; i < 256 * 1024; i++) kept += new Array(100).fill(i).length;
      setTimeout(() => console.log(JSON.stringify({ scavenges, limit: require('node:v8').getHeapStatistics().heap_size_limit / 2 ** 20, kept })), 50);`;
    const young = (value: string | undefined) => {
      const run = spawnSync(command, [...args, '-e', program], { cwd: root, env: withSemiSpace(value), encoding: 'utf8' });
      expect(run.status).toBe(0);
      return JSON.parse(run.stdout) as { scavenges: number; limit: number };
    };
    const held = young(undefined);
    const own = young('0');
    // V8's limit is the old space plus three semi-spaces (two and the large objects' young space).
    expect(held.limit).toBe(200 + 3 * 16);
    expect(young('32').limit).toBe(200 + 3 * 32);
    // A scavenge about every 16 MiB held (fewer than 24 for 256 MiB), against one every 1 to 4.
    expect(held.scavenges).toBeLessThan(24);
    expect(own.scavenges).toBeGreaterThan(3 * held.scavenges);
  });

  // Each setting's wrong values, and the range its message names.
  const refused = [
    ...['abc', '0', '63', '65537', '-5', '1e3', '012', '200MB'].map((value) => ['HEAP_LIMIT_MIB', value, '64 to 65536', withHeap] as const),
    ...['x', '-1', '01', '401', '1.5', '100%'].map((value) => ['HEAP_GROWTH_PERCENT', value, '0 to 400', withGrowth] as const),
    ...['x', '-1', '01', '257', '1.5', '16MB'].map((value) => ['HEAP_SEMI_SPACE_MIB', value, '0 to 256', withSemiSpace] as const),
  ];
  it.each(refused)('stops the start when %s is %p, naming the setting, before node starts', (name, value, range, withValue) => {
    const [command, ...args] = START_NODE.split(' ');
    const run = spawnSync(command, [...args, '-e', "console.log('started')"], { cwd: root, env: withValue(value), encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`Invalid configuration:\n- ${name} must be a whole number from ${range}, got "${value}"\n`);
    expect(() => serviceNodeOptions(withValue(value))).toThrow(`${name} must be a whole number`);
  });

  it('names every wrong setting at once', () => {
    const [command, ...args] = START_NODE.split(' ');
    const run = spawnSync(command, [...args, '-e', "console.log('started')"], {
      cwd: root,
      env: { ...withHeap('big'), HEAP_GROWTH_PERCENT: 'fast' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      'Invalid configuration:\n- HEAP_LIMIT_MIB must be a whole number from 64 to 65536, got "big"\n- HEAP_GROWTH_PERCENT must be a whole number from 0 to 400, got "fast"\n',
    );
  });
});
