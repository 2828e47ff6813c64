import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid and user + system CPU ticks of a /proc/<pid>/stat line. */
export function parseProcStat(line: string): { ppid: number; ticks: number } {
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

function readStat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** CPU ticks of a process and (with `children`) of its direct children: PostgreSQL's backends are the postmaster's. */
function treeTicks(pid: number, children: boolean): Map<number, number> {
  const ticks = new Map<number, number>();
  const own = readStat(pid);
  if (own) ticks.set(pid, own.ticks);
  if (!children) return ticks;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat?.ppid === pid) ticks.set(Number(entry), stat.ticks);
  }
  return ticks;
}

/**
 * CPU seconds the named processes spend between start and stop; a process named with
 * `withChildren` counts with its direct children, and a child that ends in between takes its
 * ticks with it (so that figure is a lower bound).
 */
export class CpuMeter {
  private readonly before: Map<string, Map<number, number>>;
  private readonly startedAt = performance.now();

  constructor(
    private readonly processes: Record<string, number>,
    private readonly withChildren: ReadonlySet<string> = new Set(),
  ) {
    this.before = new Map(Object.entries(processes).map(([name, pid]) => [name, treeTicks(pid, withChildren.has(name))]));
  }

  /** Seconds of CPU per name, and the wall-clock seconds. */
  stop(): { wallSeconds: number; cpuSeconds: Record<string, number> } {
    const cpuSeconds: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.processes)) {
      const earlier = this.before.get(name)!;
      let ticks = 0;
      for (const [child, now] of treeTicks(pid, this.withChildren.has(name))) ticks += now - (earlier.get(child) ?? 0);
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
