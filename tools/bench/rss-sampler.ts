import { rssMbOf } from '../testing/server-process.js';

export interface RssSample {
  /** Seconds since the sampler started. */
  t: number;
  mb: number;
}

/**
 * Reads a process's RSS from /proc every `everyMs`, from outside, as the platform that would kill
 * it sees it. Marks name moments (phase boundaries) on the same clock.
 */
export class RssSampler {
  readonly samples: RssSample[] = [];
  readonly marks: { t: number; label: string }[] = [];
  private readonly started = performance.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number, private readonly everyMs = 100) {}

  start(): this {
    this.timer = setInterval(() => void this.sample(), this.everyMs);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get now(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** One reading now (also recorded); NaN once the process is gone. */
  async sample(): Promise<number> {
    const t = this.now;
    const mb = await rssMbOf(this.pid).catch(() => Number.NaN);
    if (Number.isFinite(mb)) this.samples.push({ t, mb });
    return mb;
  }

  mark(label: string): void {
    this.marks.push({ t: this.now, label });
  }

  /** Highest reading between two times (seconds), all of them by default. */
  peak(from = 0, to = Number.POSITIVE_INFINITY): number {
    return this.between(from, to).reduce((max, s) => Math.max(max, s.mb), 0);
  }

  /** Median reading between two times. */
  median(from: number, to: number): number {
    const values = this.between(from, to).map((s) => s.mb).sort((a, b) => a - b);
    return values.length ? values[Math.floor(values.length / 2)]! : Number.NaN;
  }

  private between(from: number, to: number): RssSample[] {
    return this.samples.filter((s) => s.t >= from && s.t <= to);
  }
}
