import type { Piscina } from 'piscina';
import type { SearchBatchOutput, TaskOutputs, WorkerConfig, WorkerResult, WorkerTask } from '../../workers/protocol.js';
import type { WorkerSettings } from '../config.js';
import { TaskTimeoutError } from '../http/errors.js';
import type { Logger } from '../logger.js';
import type { ModelAdmission } from '../memory/model-admission.js';
import { CrashRecovery } from './crash-recovery.js';
import { GateCounters, type GateStats } from './gate-stats.js';
import { InFlight, type Flight } from './in-flight.js';
import { ModelTracking } from './model-tracking.js';
import { RecyclePolicy, type RecycleReason } from './recycle-policy.js';
import { spawnWorker } from './spawn-worker.js';
import { TaskQueue, type Job, type TaskResult } from './task-queue.js';
import { itemResult, searchRequestOf, tasksInFlight } from './task-shapes.js';

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

/** A search that may share a batch: a retry after a crash runs alone. */
const batchable = (job: Job): boolean => job.task.task === 'search' && !job.solo;

/**
 * The machine behind `WorkerGate`: one loop hands the queued tasks to the one worker and, between
 * tasks (nothing on the worker), does what the other parts decided: probe after a fresh worker
 * crashed, recycle when the policy says so. Searches waiting in a row at the head of the queue go
 * as one batch (up to `batchMax`), so their questions share one model call. The file store runs
 * one task at a time (its searches are CPU-bound); the PostgreSQL store up to its in-flight limit (its
 * searches mostly wait on the database). The loop runs while there is work and room for it, and
 * starts again whenever a task ends.
 */
export class DispatchLoop {
  private worker: Piscina | undefined;
  /** The tasks on the worker now. */
  private readonly flights: InFlight;
  /** Searches in the last task sent: more than one means questions are arriving together (load). */
  private lastBatchSize = 0;
  private pumping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly stats = new GateCounters();
  private readonly queue: TaskQueue;
  private readonly policy: RecyclePolicy;
  private readonly model: ModelTracking;
  private readonly recovery: CrashRecovery;

  constructor(private readonly options: DispatchOptions) {
    const { settings, log, rss, random, now } = options;
    this.flights = new InFlight(tasksInFlight(options.workerData, settings));
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
    return this.flights.size > 0 || this.queue.length > 0;
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
    if (!this.flights.size) void this.pump();
  }

  snapshot(stopped: boolean): GateStats {
    return this.stats.snapshot({
      unavailable: this.recovery.isUnavailable(),
      stopped,
      started: this.worker !== undefined,
      tasksSinceRecycle: this.policy.tasksSinceRecycle,
      recycleAfter: this.policy.recycleAfter,
      queued: this.queue.length,
      running: this.flights.size > 0,
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
    if (!this.flights.size && !this.pumping && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIfIdle(): void {
    if (!this.flights.size && !this.pumping && this.queue.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        if (!this.flights.size) {
          const crashMessage = this.recovery.takeProbe();
          if (crashMessage !== undefined) await this.probe(crashMessage);
          if (this.policy.pending) await this.recycle(this.policy.pending);
        } else if (this.policy.pending) break; // The recycle (or probe) waits for the tasks on the worker: the last one to end calls the loop again.
        let jobs = this.nextJobs(true);
        if (!jobs) {
          // A lone search: give others `batchWaitMs` to join it. Its deadline may pass meanwhile (it
          // leaves the queue), or a recycle be asked for, which goes first.
          await new Promise((resolve) => setTimeout(resolve, this.options.settings.batchWaitMs));
          if (this.policy.pending) continue;
          jobs = this.nextJobs(false)!;
        }
        if (!jobs.length) break;
        this.send(jobs);
      }
    } finally {
      this.pumping = false;
      this.wakeIfIdle();
    }
  }

  /**
   * The next task, taken off the queue at once (so a caller sees it running in the same tick): the
   * head job alone, or the searches waiting in a row from the head (a batch). Empty when nothing
   * waits or there is no room on the worker: the in-flight limit reached, a retry after a crash
   * waiting for the worker to itself, or the routine recycle's count reached by the tasks on it.
   * Undefined when `mayWait` and a lone search should first wait `batchWaitMs` for others to join
   * it: only right after a batch of several, when the clients it answered are about to ask again.
   * One client, or an idle worker, never waits.
   */
  private nextJobs(mayWait: boolean): Job[] | undefined {
    const head = this.queue.peek();
    const onWorker = this.flights.size;
    // A retry after a crash runs alone, so a task that kills the worker fails alone.
    if (!head || onWorker >= this.flights.limit || (onWorker > 0 && (head.solo || this.flights.jobs.some((job) => job.solo)))) return [];
    // No task runs past the worker's routine recycle: it happens after exactly its count of searches.
    const room = this.policy.recycleAfter - this.policy.tasksSinceRecycle - this.flights.jobs.length;
    if (onWorker > 0 && room <= 0) return [];
    const max = Math.min(this.options.settings.batchMax ?? 1, Math.max(1, room));
    if (max <= 1 || !batchable(head)) {
      this.lastBatchSize = 1;
      return [this.queue.next()!];
    }
    if (mayWait && this.lastBatchSize > 1 && (this.options.settings.batchWaitMs ?? 0) > 0 && this.queue.countWhile(batchable, 2) < 2) return undefined;
    const jobs = this.queue.takeWhile(batchable, max);
    this.lastBatchSize = jobs.length;
    return jobs;
  }

  /** Put `jobs` on the worker as one task; the loop goes on without waiting for it. */
  private send(jobs: Job[]): void {
    if (this.recovery.isUnavailable()) {
      for (const job of jobs) job.settle(this.recovery.unavailableError());
      return;
    }
    const flight = this.flights.add(jobs);
    for (const job of jobs) job.attempts++;
    void (jobs.length === 1 ? this.execute(flight) : this.executeBatch(flight)).finally(() => {
      this.flights.delete(flight);
      this.options.onTaskDone?.();
      void this.pump();
    });
  }

  /** The worker the task goes to; creating one can throw synchronously (e.g. a thread limit), so the callers call it inside their try. */
  private workerFor(flight: Flight): Piscina {
    flight.worker = this.worker ??= this.spawn();
    return flight.worker;
  }

  private async execute(flight: Flight): Promise<void> {
    const job = flight.jobs[0]!;
    const started = this.options.now();
    try {
      const result = (await this.workerFor(flight).run(job.task, this.flights.runOptions(flight))) as WorkerResult<unknown>;
      this.stats.taskDone(result);
      this.policy.taskDone();
      job.settle(undefined, result, this.options.now() - started);
      this.afterTask(result.state);
    } catch (error) {
      this.recovery.taskFailed(job, error, this.flights.sameCrash(flight));
    }
  }

  /**
   * Several searches as one task: the worker embeds their questions in one call and answers each.
   * Each job is settled with its own result; a crash sends them back to run one by one.
   */
  private async executeBatch(flight: Flight): Promise<void> {
    const { jobs, abort } = flight;
    const started = this.options.now();
    try {
      const searches = jobs.map(({ task }) => searchRequestOf(task));
      const result = (await this.workerFor(flight).run({ task: 'searchBatch', searches } satisfies WorkerTask, this.flights.runOptions(flight))) as WorkerResult<SearchBatchOutput>;
      const runMs = this.options.now() - started;
      jobs.forEach((job, i) => {
        const own = itemResult(result, i);
        this.stats.taskDone(own);
        job.settle(undefined, own, runMs);
      });
      for (let i = 0; i < jobs.length; i++) this.policy.taskDone();
      this.afterTask(result.state);
    } catch (error) {
      this.recovery.batchFailed(jobs, error, abort.signal.aborted, this.flights.sameCrash(flight));
    }
  }

  private afterTask(state: WorkerResult<unknown>['state']): void {
    // The model swap is asked first, so a routine recycle due now does not cancel it.
    if (this.model.noteState(state, this.policy.pending !== undefined)) this.policy.requestIfNone('model');
    this.policy.checkAfterTask();
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
    const worker: Piscina = spawnWorker({ filename, workerData: config, heapMb: settings.heapMb, concurrentTasks: this.flights.limit }, (error) => this.failedWhileIdle(worker, error));
    return worker;
  }

  private failedWhileIdle(worker: Piscina, error: unknown): void {
    this.options.log.warn('search worker failed while idle', { error: error instanceof Error ? error.message : String(error) });
    if (this.worker !== worker) return;
    this.stats.crashed(error);
    this.policy.requestIfNone('crash');
  }

  /**
   * A job's deadline passed: off the queue if it waits; 504 either way. Aborting a running task
   * terminates the worker, and with it every task on it; the others still want their answers, so
   * the tasks on the worker are aborted only once every one of their searches is past its deadline.
   */
  private expire(job: Job): void {
    this.queue.remove(job);
    job.settle(new TaskTimeoutError(job.task.task, this.options.settings.taskTimeoutMs));
    const running = this.flights.jobs;
    if (running.includes(job) && running.every((j) => j.done)) {
      // Nothing more goes to the worker being terminated.
      this.policy.requestIfNone('timeout');
      this.flights.abortAll(new Error('task deadline passed'));
      // Sent without their signals (see InFlight.runOptions): their tasks fail with the thread, and count as timeouts.
      if (this.flights.limit > 1) void this.worker?.destroy().catch(() => undefined);
    }
    this.wakeIfIdle();
  }
}
