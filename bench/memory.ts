import { readFileSync, writeFileSync } from 'node:fs';

/** VmRSS and VmHWM (peak resident set) of a /proc/<pid>/status text, in kB; null where absent. */
export function parseProcStatus(text: string): { rssKb: number | null; peakKb: number | null } {
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
    return match ? Number(match[1]) : null;
  };
  return { rssKb: field('VmRSS'), peakKb: field('VmHWM') };
}

/**
 * Peak resident memory of a process over a stretch of time, read from /proc: the kernel's own
 * high-water mark (VmHWM), reset at the start when the kernel allows it (clear_refs 5), and
 * samples of VmRSS every `intervalMs` besides, in case it does not.
 */
export class PeakRss {
  private peakKb = 0;
  private hwmReset = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      this.hwmReset = true;
    } catch {
      this.hwmReset = false;
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private read(): { rssKb: number | null; peakKb: number | null } {
    try {
      return parseProcStatus(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    } catch {
      return { rssKb: null, peakKb: null };
    }
  }

  private sample(): void {
    const { rssKb } = this.read();
    if (rssKb !== null) this.peakKb = Math.max(this.peakKb, rssKb);
  }

  /** Stops sampling; the peak in MiB. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    const { peakKb } = this.read();
    if (this.hwmReset && peakKb !== null) this.peakKb = Math.max(this.peakKb, peakKb);
    return Math.round(this.peakKb / 1024);
  }
}
