import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { parseProcStat } from './cpu';

/**
 * What one answer's processes did and waited for while it was on its way, in ms: each one's CPU
 * and its time runnable but waiting for a core (the kernel's `schedstat`), and the machine's
 * stall times (pressure stall information: some task waiting for a core, for I/O).
 */
export interface AnswerWaits {
  /** The service's main thread (the event loop that answers). */
  readonly service: ThreadTimes;
  /** The main thread of the bench's query client (the event loop that times the answer; query-client-process.ts). */
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

/** Where the ASCII digits from `from` in `bytes` end (`from` when there are none). */
function digitsEnd(bytes: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i < end && bytes[i] >= 48 && bytes[i] <= 57) i++;
  return i;
}

/** The number the ASCII digits from `from` to `to` in `bytes` write. */
function digitsValue(bytes: Uint8Array, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + (bytes[i] - 48);
  return value;
}

/**
 * Nanoseconds on a core and nanoseconds runnable but waiting for one: the first two fields of
 * /proc/<pid>/schedstat, from its first `length` bytes, written to `into[at]` and `into[at + 1]`
 * (NaN both when unreadable); false when unreadable. Read from bytes into a reading, not from
 * text into new arrays: the probe reads a dozen such files around every answer, in the process
 * that times them.
 */
export function parseSchedstat(bytes: Uint8Array, length: number, into: Float64Array, at: number): boolean {
  const cpuEnd = digitsEnd(bytes, 0, length);
  const waitEnd = cpuEnd > 0 && bytes[cpuEnd] === 32 ? digitsEnd(bytes, cpuEnd + 1, length) : 0;
  const readable = waitEnd > cpuEnd + 1;
  into[at] = readable ? digitsValue(bytes, 0, cpuEnd) : Number.NaN;
  into[at + 1] = readable ? digitsValue(bytes, cpuEnd + 1, waitEnd) : Number.NaN;
  return readable;
}

const TOTAL = Buffer.from(' total=');
const LINES = { some: Buffer.from('some '), full: Buffer.from('full ') };

/** The `total=` of a /proc/pressure line ("some …" or "full …"), in µs, from the first `length` bytes; null when absent. */
export function parsePressure(bytes: Buffer, line: 'some' | 'full', length = bytes.length): number | null {
  const start = bytes.indexOf(LINES[line]);
  const at = start < 0 ? -1 : bytes.indexOf(TOTAL, start);
  const end = bytes.indexOf(10, start);
  const from = at + TOTAL.length;
  const to = digitsEnd(bytes, from, length);
  if (start < 0 || at < 0 || at >= length || (end >= 0 && at > end) || to === from) return null;
  return digitsValue(bytes, from, to);
}

const readOr = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/**
 * A /proc file read again and again through one descriptor (from its start: the kernel writes
 * it afresh) into the probe's one buffer: nothing allocated per reading. Unreadable (a process
 * gone), it reads as nothing.
 */
class ProcFile {
  private readonly fd: number | null;

  constructor(path: string) {
    let fd: number | null = null;
    try {
      fd = openSync(path, 'r');
    } catch {
      // Gone already, or no such file on this kernel (pressure files): read as nothing.
    }
    this.fd = fd;
  }

  /** Bytes read into `into`; 0 when unreadable. */
  read(into: Buffer): number {
    if (this.fd === null) return 0;
    try {
      return readSync(this.fd, into, 0, into.length, 0);
    } catch {
      return 0;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
  }
}

/**
 * One reading of the counters, in a single array (nothing else allocated for it): the service's
 * and the bench's CPU and wait ns (READING.service, READING.bench: two each), the machine's CPU
 * and I/O stall µs (READING.cpuStall, READING.ioStall), then each PostgreSQL process's CPU and
 * wait ns from READING.postgres on, in the order of the last `list()` (NaN where unreadable: one
 * that ended; compare only readings of the same list).
 */
export type ProbeReading = Float64Array;

export const READING = { service: 0, bench: 2, cpuStall: 4, ioStall: 5, postgres: 6 } as const;

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * Reads those counters before and after each answer (outside the timed stretch: a few small
 * /proc reads, about 0.1 ms per answer, through descriptors kept open into one buffer and parsed
 * from its bytes into one array, so that the process timing the answers allocates little for
 * them: with readFileSync and text, 32 KiB an answer with 10 PostgreSQL processes). PostgreSQL's
 * processes are listed once per `list()`: the service's pool keeps its connections, so the
 * backends stay the same.
 */
export class WaitProbe {
  private postgres: ProcFile[] = [];
  private readonly files: { service: ProcFile; bench: ProcFile; cpu: ProcFile; io: ProcFile };
  private readonly buffer = Buffer.alloc(512);

  constructor(
    servicePid: number,
    private readonly postmasterPid: number,
    benchPid = process.pid,
  ) {
    this.files = {
      service: new ProcFile(`/proc/${servicePid}/schedstat`),
      bench: new ProcFile(`/proc/${benchPid}/schedstat`),
      cpu: new ProcFile('/proc/pressure/cpu'),
      io: new ProcFile('/proc/pressure/io'),
    };
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
    for (const file of this.postgres) file.close();
    this.postgres = children.map((pid) => new ProcFile(`/proc/${pid}/schedstat`));
  }

  read(): ProbeReading {
    const { buffer, files, postgres } = this;
    const reading = new Float64Array(READING.postgres + 2 * postgres.length);
    parseSchedstat(buffer, files.service.read(buffer), reading, READING.service);
    parseSchedstat(buffer, files.bench.read(buffer), reading, READING.bench);
    for (let i = 0; i < postgres.length; i++) parseSchedstat(buffer, postgres[i].read(buffer), reading, READING.postgres + 2 * i);
    reading[READING.cpuStall] = parsePressure(buffer, 'some', files.cpu.read(buffer)) ?? 0;
    reading[READING.ioStall] = parsePressure(buffer, 'some', files.io.read(buffer)) ?? 0;
    return reading;
  }

  /** Closes its descriptors. */
  close(): void {
    for (const file of [...Object.values(this.files), ...this.postgres]) file.close();
    this.postgres = [];
  }

  /** What happened between two readings of the same list; a process unreadable in either (one that ended) is left out. */
  static between(before: ProbeReading, after: ProbeReading): AnswerWaits {
    const ms = (ns: number) => round2(ns / 1e6);
    // An unreadable service or bench thread counts as nothing done, as an unreadable file did before.
    const delta = (at: number) => (Number.isNaN(after[at]) || Number.isNaN(before[at]) ? 0 : after[at] - before[at]);
    const times = (at: number): ThreadTimes => ({ cpuMs: ms(delta(at)), waitMs: ms(delta(at + 1)) });
    let [postgresCpu, postgresWait] = [0, 0];
    for (let at = READING.postgres; at < Math.min(before.length, after.length); at += 2) {
      postgresCpu += delta(at);
      postgresWait += delta(at + 1);
    }
    return {
      service: times(READING.service),
      bench: times(READING.bench),
      postgres: { cpuMs: ms(postgresCpu), waitMs: ms(postgresWait) },
      machineCpuStallMs: round2(delta(READING.cpuStall) / 1e3),
      machineIoStallMs: round2(delta(READING.ioStall) / 1e3),
    };
  }
}
