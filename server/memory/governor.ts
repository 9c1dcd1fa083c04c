import type { MemoryMode } from '../../answer/ports.js';
import type { Logger } from '../logger.js';

export type { MemoryMode };

export interface GovernorSettings {
  limitMb: number;
  /** Share of the limit at which the service turns cautious (0.78) and degraded (0.88). */
  cautiousAt: number;
  degradedAt: number;
  /** A mode is left only once RSS falls this share of the limit below its threshold, so it does not flap. */
  hysteresis: number;
  sampleEveryMs: number;
}

export interface GovernorSnapshot {
  mode: MemoryMode;
  rssMb: number;
  limitMb: number;
  cautiousAtMb: number;
  degradedAtMb: number;
  /** When the current mode began (ISO time). */
  since: string;
  transitions: number;
}

const MB = 1048576;

/**
 * Watches the process RSS (what the platform kills on; V8 limits do not see onnxruntime's native
 * memory) and sets the service's mode: normal, cautious from `cautiousAt` of the limit, degraded
 * from `degradedAt`. Up at once, down only below the threshold minus the hysteresis.
 */
export class MemoryGovernor {
  private current: MemoryMode = 'normal';
  private since = new Date();
  private transitions = 0;
  private lastRss = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ((mode: MemoryMode, previous: MemoryMode) => void)[] = [];

  constructor(
    private readonly settings: GovernorSettings,
    private readonly log: Logger,
    private readonly rss: () => number = () => process.memoryUsage.rss(),
  ) {}

  get mode(): MemoryMode {
    return this.current;
  }

  onChange(listener: (mode: MemoryMode, previous: MemoryMode) => void): void {
    this.listeners.push(listener);
  }

  /** Read RSS now and update the mode; cheap (one syscall), so it runs after every task too. */
  sample(): MemoryMode {
    this.lastRss = this.rss();
    const next = this.decide(this.lastRss / MB);
    if (next !== this.current) {
      const previous = this.current;
      this.current = next;
      this.since = new Date();
      this.transitions++;
      const level = next === 'normal' ? 'info' : 'warn';
      this.log[level]('memory mode changed', { from: previous, to: next, rssMb: Math.round(this.lastRss / MB), limitMb: this.settings.limitMb });
      for (const listener of this.listeners) listener(next, previous);
    }
    return this.current;
  }

  private decide(rssMb: number): MemoryMode {
    const { limitMb, cautiousAt, degradedAt, hysteresis } = this.settings;
    const cautiousMb = limitMb * cautiousAt;
    const degradedMb = limitMb * degradedAt;
    const margin = limitMb * hysteresis;
    if (rssMb >= degradedMb) return 'degraded';
    if (this.current === 'degraded' && rssMb >= degradedMb - margin) return 'degraded';
    if (rssMb >= cautiousMb) return 'cautious';
    if (this.current !== 'normal' && rssMb >= cautiousMb - margin) return 'cautious';
    return 'normal';
  }

  start(): void {
    this.sample();
    this.timer ??= setInterval(() => this.sample(), this.settings.sampleEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  snapshot(): GovernorSnapshot {
    const { limitMb, cautiousAt, degradedAt } = this.settings;
    return {
      mode: this.current,
      rssMb: Math.round((this.lastRss || this.rss()) / MB),
      limitMb,
      cautiousAtMb: Math.round(limitMb * cautiousAt),
      degradedAtMb: Math.round(limitMb * degradedAt),
      since: this.since.toISOString(),
      transitions: this.transitions,
    };
  }
}
