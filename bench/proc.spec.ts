import { parseProcStat } from './cpu';
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
  it('finds the parent and the CPU ticks past a command name with spaces and parentheses', () => {
    const line = '4242 (postgres: bench (idle)) S 4000 4242 4242 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 1 0 100 1000 10';
    expect(parseProcStat(line)).toEqual({ ppid: 4000, ticks: 280 });
  });
});
