import type { Logger } from '../logger.js';

/** Whether a response is a refusal (the client's fault or a shed), whose lines are sampled: any 4xx, and 503. */
export function isRefusal(status: number): boolean {
  return (status >= 400 && status < 500) || status === 503;
}

export interface RefusalLogOptions {
  /** The sampling interval; 0 logs every refusal. */
  intervalMs: number;
  /** The clock (tests step it). */
  now?: () => number;
}

/**
 * Refusals logged by sample: under abuse every refused request wrote a line (48,000 in 85 s). Per
 * kind (status, error code and route: a bounded set), the first refusal of each interval is logged
 * as it was; the rest are counted, and once the interval is over one line says how many of each
 * kind were left out (`refusals not logged`). Other lines (answers, 500s) are never sampled.
 */
export class RefusalLog {
  private readonly now: () => number;
  private windowStart: number;
  private readonly seen = new Set<string>();
  private suppressed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly log: Logger, private readonly options: RefusalLogOptions) {
    this.now = options.now ?? Date.now;
    this.windowStart = this.now();
  }

  /** Whether the line for a refusal of `kind` is written now; if not, it is counted for the summary. */
  admit(kind: string): boolean {
    if (this.options.intervalMs <= 0) return true;
    this.rollOver();
    if (!this.seen.has(kind)) {
      this.seen.add(kind);
      return true;
    }
    this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1);
    this.scheduleSummary();
    return false;
  }

  /** The summary is written when the interval ends even if no request comes to roll it over. */
  private scheduleSummary(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.rollOver();
      // A timer may fire a little before the clock says the interval is over (their clocks differ,
      // most of all on a busy machine): then try again, or the summary would wait for a request.
      if (this.suppressed.size > 0) this.scheduleSummary();
    }, Math.max(1, this.windowStart + this.options.intervalMs - this.now())).unref();
  }

  /** Write the summary of what was left out so far (the interval's end, or shutdown). */
  flush(): void {
    if (this.suppressed.size > 0) {
      const counts = Object.fromEntries(this.suppressed);
      const total = [...this.suppressed.values()].reduce((sum, n) => sum + n, 0);
      this.log.warn('refusals not logged', { total, counts, seconds: Math.round((this.now() - this.windowStart) / 100) / 10 });
      this.suppressed = new Map();
    }
    this.seen.clear();
    this.windowStart = this.now();
  }

  private rollOver(): void {
    if (this.now() - this.windowStart >= this.options.intervalMs) this.flush();
  }
}
