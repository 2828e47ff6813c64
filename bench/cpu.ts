import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcStat {
  readonly ppid: number;
  /** User + system CPU ticks of the process itself. */
  readonly ticks: number;
  /** User + system CPU ticks of its children that ended and that it waited for (cutime + cstime). */
  readonly childTicks: number;
  /** When it started, in ticks since boot: with the pid, names one process (a pid is reused). */
  readonly startTime: number;
}

/** The fields of a /proc/<pid>/stat line the bench reads. */
export function parseProcStat(line: string): ProcStat {
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17, starttime 22.
  return {
    ppid: Number(fields[1]),
    ticks: Number(fields[11]) + Number(fields[12]),
    childTicks: Number(fields[13]) + Number(fields[14]),
    startTime: Number(fields[19]),
  };
}

let ticksPerSecond: number | undefined;
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds the named processes spend between start and stop (each process alone: PostgreSQL's
 * processes are counted by `PostgresCpu`, with those that end in between).
 */
export class CpuMeter {
  private readonly before: Map<string, number>;
  private readonly startedAt = performance.now();

  constructor(private readonly processes: Record<string, number>) {
    this.before = new Map(Object.entries(processes).map(([name, pid]) => [name, readStat(pid)?.ticks ?? 0]));
  }

  /** Seconds of CPU per name, and the wall-clock seconds. */
  stop(): { wallSeconds: number; cpuSeconds: Record<string, number> } {
    const cpuSeconds: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.processes)) {
      const now = readStat(pid);
      const ticks = now ? now.ticks - this.before.get(name)! : 0;
      cpuSeconds[name] = Math.round((ticks / clockTicks()) * 10) / 10;
    }
    return { wallSeconds: Math.round(performance.now() - this.startedAt) / 1000, cpuSeconds };
  }
}

/**
 * The most events a second a piece of work could reach on `cores` cores if its CPU (the service's
 * and PostgreSQL's, as measured) overlapped perfectly and nothing else ran: a target above it
 * cannot be met without the work spending less CPU an event, however it is scheduled.
 */
export function rateTheCpuAllows(cpuSeconds: { service: number; postgres: number }, events: number, cores = 2): number {
  const spent = cpuSeconds.service + cpuSeconds.postgres;
  return spent > 0 ? Math.round((cores * events) / spent) : Infinity;
}
