import { readdirSync, readFileSync } from 'node:fs';
import { parseProcStat } from './cpu';

/**
 * What one answer's processes did and waited for while it was on its way, in ms: each one's CPU
 * and its time runnable but waiting for a core (the kernel's `schedstat`), and the machine's
 * stall times (pressure stall information: some task waiting for a core, for I/O).
 */
export interface AnswerWaits {
  /** The service's main thread (the event loop that answers). */
  readonly service: ThreadTimes;
  /** The bench's main thread (the event loop that times the answer). */
  readonly bench: ThreadTimes;
  /** PostgreSQL's processes (the postmaster's children: backends, WAL writer, checkpointer…), summed. */
  readonly postgres: ThreadTimes;
  /** Some task of the machine waiting for a core / for I/O (/proc/pressure), ms. */
  readonly machineCpuStallMs: number;
  readonly machineIoStallMs: number;
}

export interface ThreadTimes {
  readonly cpuMs: number;
  readonly waitMs: number;
}

/** Nanoseconds on a core and nanoseconds runnable but waiting for one: the first two fields of /proc/<pid>/schedstat; null when unreadable. */
export function parseSchedstat(text: string): [cpuNs: number, waitNs: number] | null {
  const [cpu, wait] = text.trim().split(' ').map(Number);
  return Number.isFinite(cpu) && Number.isFinite(wait) ? [cpu, wait] : null;
}

/** The `total=` of a /proc/pressure line ("some …" or "full …"), in µs; null when absent. */
export function parsePressure(text: string, line: 'some' | 'full'): number | null {
  const match = new RegExp(`^${line} .*total=(\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}

const readOr = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

export interface ProbeReading {
  readonly times: Record<'service' | 'bench', [number, number]>;
  /** Per PostgreSQL process: one that starts or ends in between (an autovacuum worker) counts only where read twice. */
  readonly postgres: Map<number, [number, number]>;
  readonly cpuStallUs: number;
  readonly ioStallUs: number;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * Reads those counters before and after each answer (outside the timed stretch: a few small
 * /proc reads, about 0.1 ms of the bench's time per answer). PostgreSQL's processes are listed
 * once per `list()`: the service's pool keeps its connections, so the backends stay the same.
 */
export class WaitProbe {
  private postgresPids: number[] = [];

  constructor(
    private readonly servicePid: number,
    private readonly postmasterPid: number,
    private readonly benchPid = process.pid,
  ) {
    this.list();
  }

  /** Finds PostgreSQL's processes again (the postmaster and its children). */
  list(): void {
    const children: number[] = [this.postmasterPid];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readOr(`/proc/${entry}/stat`);
      if (stat !== null && parseProcStat(stat).ppid === this.postmasterPid) children.push(Number(entry));
    }
    this.postgresPids = children;
  }

  read(): ProbeReading {
    const of = (pid: number): [number, number] => parseSchedstat(readOr(`/proc/${pid}/schedstat`) ?? '') ?? [0, 0];
    const postgres = new Map<number, [number, number]>();
    for (const pid of this.postgresPids) {
      const times = parseSchedstat(readOr(`/proc/${pid}/schedstat`) ?? '');
      if (times) postgres.set(pid, times);
    }
    return {
      times: { service: of(this.servicePid), bench: of(this.benchPid) },
      postgres,
      cpuStallUs: parsePressure(readOr('/proc/pressure/cpu') ?? '', 'some') ?? 0,
      ioStallUs: parsePressure(readOr('/proc/pressure/io') ?? '', 'some') ?? 0,
    };
  }

  static between(before: ProbeReading, after: ProbeReading): AnswerWaits {
    const ms = (ns: number) => round2(ns / 1e6);
    const times = (name: keyof ProbeReading['times']): ThreadTimes => ({
      cpuMs: ms(after.times[name][0] - before.times[name][0]),
      waitMs: ms(after.times[name][1] - before.times[name][1]),
    });
    let [postgresCpu, postgresWait] = [0, 0];
    for (const [pid, [cpu, wait]] of after.postgres) {
      const earlier = before.postgres.get(pid);
      if (!earlier) continue;
      postgresCpu += cpu - earlier[0];
      postgresWait += wait - earlier[1];
    }
    return {
      service: times('service'),
      bench: times('bench'),
      postgres: { cpuMs: ms(postgresCpu), waitMs: ms(postgresWait) },
      machineCpuStallMs: round2((after.cpuStallUs - before.cpuStallUs) / 1e3),
      machineIoStallMs: round2((after.ioStallUs - before.ioStallUs) / 1e3),
    };
  }
}
