/** Resident memory of a process (Linux /proc), and its peak over a stretch of time. */
import { readFileSync } from 'node:fs';

/** VmRSS of `pid` in MiB; NaN when the process is gone. */
export function rssMiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; keeps the peak and the last sample. */
export class RssSampler {
  private peak = 0;
  private last = NaN;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 500,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): number {
    const now = rssMiB(this.pid);
    if (!Number.isNaN(now)) {
      this.last = now;
      this.peak = Math.max(this.peak, now);
    }
    return now;
  }

  stop(): { peakMiB: number; lastMiB: number } {
    clearInterval(this.timer);
    this.sample();
    return { peakMiB: this.peak, lastMiB: this.last };
  }
}
