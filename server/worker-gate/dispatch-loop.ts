import type { Piscina } from 'piscina';
import type { TaskOutputs, WorkerConfig, WorkerResult, WorkerTask } from '../../workers/protocol.js';
import type { WorkerSettings } from '../config.js';
import { TaskTimeoutError } from '../http/errors.js';
import type { Logger } from '../logger.js';
import type { ModelAdmission } from '../memory/model-admission.js';
import { CrashRecovery } from './crash-recovery.js';
import { GateCounters, type GateStats } from './gate-stats.js';
import { ModelTracking } from './model-tracking.js';
import { RecyclePolicy, type RecycleReason } from './recycle-policy.js';
import { spawnWorker } from './spawn-worker.js';
import { TaskQueue, type Job, type TaskResult } from './task-queue.js';

const MB = 1048576;

export interface DispatchOptions {
  filename: string;
  workerData: WorkerConfig;
  settings: WorkerSettings;
  log: Logger;
  rss: () => number;
  random: () => number;
  now: () => number;
  onTaskDone?: () => void;
  admission?: ModelAdmission;
}

/**
 * The machine behind `WorkerGate`: one loop hands the queued tasks to the one worker, one at a
 * time, and between tasks does what the other parts decided: probe after a fresh worker crashed,
 * recycle when the policy says so. The loop runs while there is work and stops when idle.
 */
export class DispatchLoop {
  private worker: Piscina | undefined;
  private running: Job | undefined;
  private pumping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly stats = new GateCounters();
  private readonly queue: TaskQueue;
  private readonly policy: RecyclePolicy;
  private readonly model: ModelTracking;
  private readonly recovery: CrashRecovery;

  constructor(private readonly options: DispatchOptions) {
    const { settings, log, rss, random, now } = options;
    this.policy = new RecyclePolicy(settings, rss, random);
    this.queue = new TaskQueue({ settings, now, onDeadline: (job) => this.expire(job) });
    this.model = new ModelTracking(options.admission, log);
    this.recovery = new CrashRecovery({ settings, log, now, stats: this.stats, policy: this.policy, queue: this.queue });
  }

  /** Queue a task, or refuse it at once: 503 during the restart cooldown or when the queue is full. */
  submit<K extends WorkerTask['task']>(task: Extract<WorkerTask, { task: K }>): Promise<TaskResult<TaskOutputs[K]>> {
    const now = this.options.now();
    if (this.recovery.isUnavailable(now)) return Promise.reject(this.recovery.unavailableError());
    const refusal = this.queue.refusal();
    if (refusal) return Promise.reject(refusal);
    const result = this.queue.add(task, now);
    void this.pump();
    return result;
  }

  get busy(): boolean {
    return Boolean(this.running) || this.queue.length > 0;
  }

  /** The 503 a task arriving now would get (cooldown, or the queue full), without queueing anything: O(1). */
  refusalNow(): Error | undefined {
    const now = this.options.now();
    if (this.recovery.isUnavailable(now)) return this.recovery.unavailableError();
    return this.queue.refusal();
  }

  setQueueLimit(limit: number | undefined): void {
    this.queue.setLimit(limit);
  }

  shedQueued(error: Error): number {
    const shed = this.queue.takeAll();
    for (const job of shed) job.settle(error);
    this.wakeIfIdle();
    return shed.length;
  }

  requestRecycle(reason: RecycleReason): void {
    if (reason === 'memory') this.model.memoryRecycleAsked();
    this.policy.request(reason);
    if (!this.running) void this.pump();
  }

  snapshot(stopped: boolean): GateStats {
    return this.stats.snapshot({
      unavailable: this.recovery.isUnavailable(),
      stopped,
      started: this.worker !== undefined,
      tasksSinceRecycle: this.policy.tasksSinceRecycle,
      recycleAfter: this.policy.recycleAfter,
      queued: this.queue.length,
      running: Boolean(this.running),
      model: this.model.current(this.worker !== undefined),
      admission: this.model.admissionSnapshot(),
    });
  }

  /** Once nothing runs or waits, stop the worker. */
  async stopWhenIdle(): Promise<void> {
    await this.whenIdle();
    const worker = this.worker;
    this.worker = undefined;
    await worker?.destroy();
  }

  /** Idle: nothing running or queued, and the loop stopped (it may be mid-recycle or mid-probe, starting a worker). */
  private whenIdle(): Promise<void> {
    if (!this.running && !this.pumping && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIfIdle(): void {
    if (!this.running && !this.pumping && this.queue.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const crashMessage = this.recovery.takeProbe();
        if (crashMessage !== undefined) await this.probe(crashMessage);
        if (this.policy.pending) await this.recycle(this.policy.pending);
        const job = this.queue.next();
        if (!job) break;
        await this.execute(job);
      }
    } finally {
      this.pumping = false;
      this.wakeIfIdle();
    }
  }

  private async execute(job: Job): Promise<void> {
    if (this.recovery.isUnavailable()) {
      job.settle(this.recovery.unavailableError());
      return;
    }
    this.running = job;
    job.attempts++;
    const started = this.options.now();
    try {
      // Inside the try: creating a worker can throw synchronously (e.g. a thread limit).
      this.worker ??= this.spawn();
      const result = (await this.worker.run(job.task, { signal: job.abort.signal })) as WorkerResult<unknown>;
      this.stats.taskDone(result);
      this.policy.taskDone();
      job.settle(undefined, result, this.options.now() - started);
      // The model swap is asked first, so a routine recycle due now does not cancel it.
      if (this.model.noteState(result.state, this.policy.pending !== undefined)) this.policy.requestIfNone('model');
      this.policy.checkAfterTask();
    } catch (error) {
      this.recovery.taskFailed(job, error);
    } finally {
      this.running = undefined;
      this.options.onTaskDone?.();
    }
  }

  /** Start a fresh worker and run a task that loads nothing on it; the old one goes first. */
  private async probe(crashMessage: string): Promise<void> {
    await this.recycle('crash');
    await this.recovery.probe(crashMessage, async (signal) => {
      this.worker = this.spawn();
      await this.worker.run({ task: 'status' } satisfies WorkerTask, { signal });
    });
  }

  private async recycle(reason: RecycleReason): Promise<void> {
    this.policy.begin();
    const worker = this.worker;
    this.worker = undefined;
    this.model.workerEnded(reason);
    if (worker) {
      this.stats.recycled(reason);
      this.options.log.info('search worker recycled', { reason, tasks: this.policy.tasksSinceRecycle, rssMb: Math.round(this.options.rss() / MB) });
      await worker.destroy().catch(() => undefined);
    }
    this.policy.restart();
  }

  private spawn(): Piscina {
    const { filename, workerData, settings } = this.options;
    const decision = this.model.decideStart();
    const config = { ...workerData, rssAtSpawnBytes: this.options.rss(), ...(decision.load ? {} : { withoutModel: decision.reason }) } satisfies WorkerConfig;
    const worker: Piscina = spawnWorker({ filename, workerData: config, heapMb: settings.heapMb }, (error) => this.failedWhileIdle(worker, error));
    return worker;
  }

  private failedWhileIdle(worker: Piscina, error: unknown): void {
    this.options.log.warn('search worker failed while idle', { error: error instanceof Error ? error.message : String(error) });
    if (this.worker !== worker) return;
    this.stats.crashed(error);
    this.policy.requestIfNone('crash');
  }

  /** A job's deadline passed: off the queue if it waits, aborted (the worker terminated) if it runs; 504 either way. */
  private expire(job: Job): void {
    this.queue.remove(job);
    if (this.running === job) job.abort.abort(new Error('task deadline passed'));
    job.settle(new TaskTimeoutError(job.task.task, this.options.settings.taskTimeoutMs));
    this.wakeIfIdle();
  }
}
