import { readdirSync, readFileSync } from 'node:fs';
import { clockTicks, readStat, type ProcStat } from './cpu';

/** The kinds of process a PostgreSQL server runs besides its client backends, as their titles start. */
const BACKGROUND_KINDS = [
  'autovacuum launcher',
  'autovacuum worker',
  'checkpointer',
  'background writer',
  'walwriter',
  'walsummarizer',
  'walsender',
  'walreceiver',
  'archiver',
  'startup',
  'io worker',
  'parallel worker',
  'logical replication launcher',
  'logical replication',
  'slotsync worker',
] as const;

/** A process forked by the postmaster that has not set its title yet (it still shows the postmaster's command line). */
export const UNTITLED = 'not yet titled';

/**
 * The kind of a PostgreSQL process from its /proc/<pid>/cmdline, which PostgreSQL overwrites with
 * its title: "postgres: checkpointer", "postgres: autovacuum worker bench_pg", "postgres: io worker 1",
 * a client backend "postgres: <user> <database> <host>(<port>) <activity>" (with a cluster_name,
 * "postgres: <cluster>: " before it). The names are `pg_stat_activity.backend_type`'s, without
 * a query to the server, so that a process seen only between two samples is named too.
 */
export function postgresProcessKind(cmdline: string): string {
  const title = /^postgres:\s+(.*)$/s.exec(cmdline.replace(/\0+/g, ' ').trim());
  if (!title) return UNTITLED;
  const text = title[1];
  for (const candidate of [text, text.replace(/^[^\s:]+:\s+/, '')]) {
    const kind = BACKGROUND_KINDS.find((name) => candidate === name || candidate.startsWith(`${name} `));
    if (kind) return kind === 'logical replication' ? 'logical replication worker' : kind;
    if (/^\S+ \S+ (\S+\(\d+\)|\[local\])/.test(candidate)) return 'client backend';
  }
  return 'other';
}

/**
 * What a client backend is doing, from its title: the command tag of the statement it runs
 * ("COPY", "SELECT", "FETCH"…), "idle", "idle in transaction"; undefined for another kind.
 */
export function clientBackendActivity(cmdline: string): string | undefined {
  const title = cmdline.replace(/\0+/g, ' ').trim();
  if (postgresProcessKind(title) !== 'client backend') return undefined;
  const activity = /(?:\S+\(\d+\)|\[local\])\s*(.*)$/s.exec(title)?.[1].replace(/\s+waiting$/, '').trim();
  return activity || 'starting';
}

/** A child of the postmaster as one sample saw it. */
export interface ChildSeen extends Pick<ProcStat, 'ticks' | 'startTime'> {
  readonly pid: number;
  /** Its kind (`postgresProcessKind`), read when the account does not know it yet. */
  kind(): string;
  /** A client backend's activity at the sample (`clientBackendActivity`), read at every sample. */
  activity(): string | undefined;
}

export interface PostgresCpuSplit {
  /** Every CPU second of the server in the stretch: the postmaster, its children alive, and those that ended (exact to a tick). */
  readonly seconds: number;
  /** The same, by kind of process; "ended between samples" is what processes spent after the last sample that saw them. */
  readonly byKind: Record<string, number>;
  /**
   * The client backends' CPU by what their titles said they were doing: each tick between two
   * samples under the statement (command tag) a backend ran at the later one. A sampling: a
   * statement shorter than the interval counts under the one seen after it.
   */
  readonly clientBackendsByActivity: Record<string, number>;
  /** Processes of each kind that ran in the stretch, how many of them started and ended in it. */
  readonly processes: Record<string, { readonly count: number; readonly started: number; readonly ended: number }>;
  /**
   * The postmaster and the children alive at the end only: what the bench measured as PostgreSQL's
   * CPU until the eighteenth session (the CPU of a process that ended in the stretch was lost).
   */
  readonly aliveAtEndSeconds: number;
}

interface Tracked {
  readonly kind: string;
  /** Ticks at the stretch's start (0 for a process started in it). */
  readonly from: number;
  last: number;
  alive: boolean;
  readonly started: boolean;
}

/**
 * PostgreSQL's CPU over a stretch, split by kind of process. Exact in total: a child that ends is
 * waited for by the postmaster, and the kernel adds its CPU to the postmaster's children's ticks
 * (cutime + cstime), so the total is the postmaster's own ticks and its ended children's over the
 * stretch, plus those of the children alive at the end, less the ticks the children alive at the
 * start had already spent. The split needs each process's kind, which only a sample made while it
 * ran can tell: each sample records every child's ticks, and a child that ended is counted under
 * its kind up to its last sample; the rest, its ticks after it, under "ended between samples".
 */
export class PostgresCpuAccount {
  private readonly children = new Map<string, Tracked>();
  private readonly byActivity = new Map<string, number>();
  private first?: Pick<ProcStat, 'ticks' | 'childTicks'>;
  private latest?: Pick<ProcStat, 'ticks' | 'childTicks'>;

  /** One sample: the postmaster's stat and its children of the moment. The first sample is the stretch's start. */
  observe(postmaster: Pick<ProcStat, 'ticks' | 'childTicks'>, seen: readonly ChildSeen[]): void {
    const atStart = this.first === undefined;
    this.first ??= postmaster;
    this.latest = postmaster;
    const present = new Set<string>();
    for (const child of seen) {
      const key = `${child.pid}@${child.startTime}`;
      present.add(key);
      const known = this.children.get(key);
      // A child first seen, or seen before it had its title: its kind is read now.
      const tracked =
        known && known.kind !== UNTITLED
          ? known
          : { kind: child.kind(), from: known?.from ?? (atStart ? child.ticks : 0), last: known?.last ?? (atStart ? child.ticks : 0), alive: true, started: known?.started ?? !atStart };
      this.children.set(key, tracked);
      if (tracked.kind === 'client backend') {
        const activity = child.activity() ?? 'starting';
        this.byActivity.set(activity, (this.byActivity.get(activity) ?? 0) + child.ticks - tracked.last);
      }
      tracked.last = child.ticks;
    }
    for (const [key, tracked] of this.children) if (!present.has(key)) tracked.alive = false;
  }

  split(ticksPerSecond: number): PostgresCpuSplit {
    if (!this.first || !this.latest) throw new Error('PostgresCpuAccount: nothing observed');
    const own = this.latest.ticks - this.first.ticks;
    const ended = this.latest.childTicks - this.first.childTicks;
    const byKindTicks = new Map<string, number>([['postmaster', own]]);
    const processes: Record<string, { count: number; started: number; ended: number }> = {};
    let total = own + ended;
    let aliveAtEnd = own;
    let endedSeen = 0;
    for (const tracked of this.children.values()) {
      const spent = tracked.last - tracked.from;
      byKindTicks.set(tracked.kind, (byKindTicks.get(tracked.kind) ?? 0) + spent);
      const counts = (processes[tracked.kind] ??= { count: 0, started: 0, ended: 0 });
      counts.count += 1;
      if (tracked.started) counts.started += 1;
      if (tracked.alive) {
        total += tracked.last;
        aliveAtEnd += spent;
      } else {
        counts.ended += 1;
        endedSeen += tracked.last;
      }
      total -= tracked.from;
    }
    // What ended children spent after the sample that last saw them (and children never seen).
    const unseen = ended - endedSeen;
    if (unseen !== 0) byKindTicks.set('ended between samples', unseen);
    const seconds = (ticks: number) => Math.round((ticks / ticksPerSecond) * 10) / 10;
    const byKind = Object.fromEntries([...byKindTicks].sort((a, b) => b[1] - a[1]).map(([kind, ticks]) => [kind, seconds(ticks)]));
    const clientBackendsByActivity = Object.fromEntries(
      [...this.byActivity].filter(([, ticks]) => ticks !== 0).sort((a, b) => b[1] - a[1]).map(([activity, ticks]) => [activity, seconds(ticks)]),
    );
    return { seconds: seconds(total), byKind, clientBackendsByActivity, processes, aliveAtEndSeconds: seconds(aliveAtEnd) };
  }
}

/** The postmaster's children: the kernel's list where it keeps one, else every process whose parent it is. */
function childPids(postmasterPid: number): number[] {
  try {
    return readFileSync(`/proc/${postmasterPid}/task/${postmasterPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number)
      .filter((pid) => readStat(pid)?.ppid === postmasterPid);
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** `PostgresCpuAccount` fed from /proc every `intervalMs` between its start and `stop`. */
export class PostgresCpu {
  private readonly account = new PostgresCpuAccount();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly postmasterPid: number,
    intervalMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    const postmaster = readStat(this.postmasterPid);
    if (!postmaster) return;
    const seen: ChildSeen[] = [];
    for (const pid of childPids(this.postmasterPid)) {
      const stat = readStat(pid);
      if (stat) {
        seen.push({
          pid,
          ticks: stat.ticks,
          startTime: stat.startTime,
          kind: () => postgresProcessKind(cmdlineOf(pid)),
          activity: () => clientBackendActivity(cmdlineOf(pid)),
        });
      }
    }
    this.account.observe(postmaster, seen);
  }

  stop(): PostgresCpuSplit {
    clearInterval(this.timer);
    this.sample();
    return this.account.split(clockTicks());
  }
}
