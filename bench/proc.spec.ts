import { parseProcStat, rateTheCpuAllows } from './cpu';
import { parseProcStatus } from './memory';

describe('parseProcStatus', () => {
  it('reads the resident set and its high-water mark in kB', () => {
    const status = ['Name:\tnode', 'VmPeak:\t 1234567 kB', 'VmHWM:\t  250000 kB', 'VmRSS:\t  200000 kB', 'Threads:\t11'].join('\n');
    expect(parseProcStatus(status)).toEqual({ rssKb: 200000, peakKb: 250000 });
  });

  it('answers null for fields a kernel does not report', () => {
    expect(parseProcStatus('Name:\tnode\n')).toEqual({ rssKb: null, peakKb: null });
  });
});

describe('parseProcStat', () => {
  it('finds the parent, the CPU ticks, its ended children’s and its start past a command name with spaces and parentheses', () => {
    const line = '4242 (postgres: bench (idle)) S 4000 4242 4242 0 -1 4194560 100 0 0 0 250 30 70 5 20 0 1 0 123456 1000 10';
    expect(parseProcStat(line)).toEqual({ ppid: 4000, ticks: 280, childTicks: 75, startTime: 123456 });
  });
});

describe('rateTheCpuAllows', () => {
  it('gives two cores twice the CPU seconds of the wall time: 100 s of CPU for 1,000,000 events allow 20,000 a second', () => {
    expect(rateTheCpuAllows({ service: 70, postgres: 30 }, 1_000_000)).toBe(20_000);
  });

  it('counts PostgreSQL as much as the service: the same total in another split allows the same rate', () => {
    expect(rateTheCpuAllows({ service: 30, postgres: 70 }, 1_000_000)).toBe(rateTheCpuAllows({ service: 70, postgres: 30 }, 1_000_000));
  });

  it('allows anything when no CPU was measured', () => {
    expect(rateTheCpuAllows({ service: 0, postgres: 0 }, 1_000)).toBe(Infinity);
  });
});
