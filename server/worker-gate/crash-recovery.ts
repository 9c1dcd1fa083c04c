import type { WorkerSettings } from '../config.js';
import { ServiceUnavailableError } from '../http/errors.js';
import type { Logger } from '../logger.js';
import type { GateCounters } from './gate-stats.js';
import type { RecyclePolicy } from './recycle-policy.js';
import type { Job, TaskQueue } from './task-queue.js';

/** The start-up probe gives up after this long even when tasks may take longer. */
const PROBE_TIMEOUT_MS = 10_000;

export interface CrashRecoveryOptions {
  settings: Pick<WorkerSettings, 'taskTimeoutMs' | 'restartCooldownMs'>;
  log: Logger;
  stats: GateCounters;
  policy: RecyclePolicy;
  queue: TaskQueue;
  now: () => number;
}

/**
 * What the gate does when a worker dies under a task: retry the task once on a fresh worker, fail
 * it if it kills that one too, and, when a fresh worker died, probe whether any worker can start
 * at all. If none can, every waiting task fails at once and new ones are refused for
 * `restartCooldownMs` (503 with `Retry-After`) instead of each waiting for its own crash.
 */
export class CrashRecovery {
  /** Set when a fresh worker crashed: the message, until a probe says whether any worker can start. */
  private probeMessage: string | undefined;
  private unavailableUntil = 0;
  private unavailableReason = '';

  constructor(private readonly options: CrashRecoveryOptions) {}

  /** Within the cooldown after a failed probe. */
  isUnavailable(now = this.options.now()): boolean {
    return now < this.unavailableUntil;
  }

  /** The 503 for a task refused during the cooldown, with the seconds left as `Retry-After`. */
  unavailableError(options: { cause?: unknown } = {}): ServiceUnavailableError {
    const seconds = Math.max(1, (this.unavailableUntil - this.options.now()) / 1000);
    return new ServiceUnavailableError('WORKER_UNAVAILABLE', `The search worker cannot start: ${this.unavailableReason}`, seconds, options);
  }

  /** The probe due before the next task, if any (the crash that called for it), now taken. */
  takeProbe(): string | undefined {
    const message = this.probeMessage;
    this.probeMessage = undefined;
    return message;
  }

  /**
   * A task's run failed. Aborted past its deadline: the worker was terminated, so recycle. Otherwise
   * the worker crashed: count it, and put the task back for one more attempt or fail it.
   * `sameCrash`: another task in flight on the same worker already reported this crash (several
   * searches at once on the PostgreSQL store): the task is retried, the crash not counted again.
   */
  taskFailed(job: Job, error: unknown, sameCrash = false): void {
    const { stats, policy, log } = this.options;
    const message = error instanceof Error ? error.message : String(error);
    if (job.abort.signal.aborted) {
      // Piscina terminates a worker whose running task is aborted: start clean next time.
      policy.requestIfNone('timeout');
      return;
    }
    policy.require('crash');
    if (sameCrash) return this.retryOrFail(job, error, message);
    stats.crashed(error);
    stats.failed('WORKER_CRASHED', message);
    log.warn('search worker crashed', { task: job.task.task, code: (error as { code?: unknown }).code, error: message, attempt: job.attempts });
    // A fresh worker failing may mean no worker can start at all, or only that this task kills
    // workers. A probe on another fresh worker tells which, before anyone else is failed.
    if (policy.tasksSinceRecycle === 0) this.probeMessage = message;
    this.retryOrFail(job, error, message);
  }

  /**
   * A batch's run failed. Aborted (every search in it past its deadline): recycle. Otherwise the
   * worker crashed under several searches, and which one killed it is unknown: each goes back to
   * its place of admission at the head of the queue, to run alone on a fresh worker, so the one that kills it
   * again fails alone and the others are answered.
   */
  batchFailed(jobs: Job[], error: unknown, aborted: boolean, sameCrash = false): void {
    const { stats, policy, log } = this.options;
    if (aborted) {
      policy.requestIfNone('timeout');
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    policy.require('crash');
    if (sameCrash) {
      for (const job of jobs) if (!job.done) this.retryOrFail(job, error, message);
      return;
    }
    stats.crashed(error);
    stats.failed('WORKER_CRASHED', message);
    log.warn('search worker crashed under a batch', { tasks: jobs.length, code: (error as { code?: unknown }).code, error: message });
    if (policy.tasksSinceRecycle === 0) this.probeMessage = message;
    for (const job of jobs) if (!job.done) this.retryOrFail(job, error, message);
  }

  private retryOrFail(job: Job, error: unknown, message: string): void {
    if (job.attempts < 2) {
      // Once, on a fresh worker: an out-of-memory or crash is usually the worker's state, not the task.
      this.options.stats.retriedOnce();
      job.solo = true;
      this.options.queue.putBack(job);
      return;
    }
    job.settle(new ServiceUnavailableError('WORKER_CRASHED', `The search worker crashed twice on this request: ${message}`, 1, { cause: error }));
  }

  /**
   * Run the probe: `startAndCheck` starts a fresh worker and runs a task that loads nothing on it
   * (the caller recycled the old one first). If even that fails, no worker can start: cool down.
   */
  async probe(crashMessage: string, startAndCheck: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), Math.min(this.options.settings.taskTimeoutMs, PROBE_TIMEOUT_MS));
    try {
      await startAndCheck(abort.signal);
    } catch (error) {
      this.coolDown(error instanceof Error ? error.message : crashMessage, error);
    } finally {
      clearTimeout(timer);
    }
  }

  private coolDown(message: string, error: unknown): void {
    const { settings, stats, policy, queue, log, now } = this.options;
    stats.outOfMemoryIf(error);
    this.unavailableUntil = now() + settings.restartCooldownMs;
    this.unavailableReason = message;
    stats.failed('WORKER_UNAVAILABLE', message);
    policy.require('crash');
    log.error('search worker cannot be started; refusing tasks for a while', { cooldownMs: settings.restartCooldownMs, error: message });
    const unavailable = this.unavailableError({ cause: error });
    for (const queued of queue.takeAll()) queued.settle(unavailable);
  }
}
