import { Piscina } from 'piscina';
import type { SearchOutput, SearchRequest, StatusOutput, TaskOutputs, WorkerConfig, WorkerMemory, WorkerResult, WorkerTask } from '../../workers/protocol.js';
import type { WorkerSettings } from '../config.js';
import { ServiceUnavailableError, TaskTimeoutError } from '../http/errors.js';
import type { Logger } from '../logger.js';
import type { ModelAdmission, ModelAdmissionSnapshot } from '../memory/model-admission.js';
import { workerFailure } from './worker-errors.js';

/**
 * The worker's young generation, in MB. V8 sizes it for throughput (tens of MB of semi-space);
 * loading the index and embedding questions churn short-lived objects, so a small nursery keeps
 * RSS about 25 MB lower after the first answer and under load, for a few ms more per search
 * (measured, README "Memory").
 */
const YOUNG_GENERATION_MB = 4;

export interface WorkerGateOptions {
  /** The compiled worker entry (`dist/workers/worker.js`). */
  filename: string;
  workerData: WorkerConfig;
  settings: WorkerSettings;
  log: Logger;
  /** The process RSS in bytes; injectable so tests can drive the RSS-triggered recycle. */
  rss?: () => number;
  random?: () => number;
  /** Called after every task (the memory governor samples RSS then). */
  onTaskDone?: () => void;
  /** Decides, per fresh worker, whether it loads the embedding model; without one it always does. */
  admission?: ModelAdmission;
}

/** `model`: a keyword-only worker replaced by one with the model, once memory allows it again. */
export type RecycleReason = 'tasks' | 'rss' | 'memory' | 'crash' | 'timeout' | 'requested' | 'model';

/**
 * The current worker and the embedding model: `admitted` to load it (on its first search),
 * `loaded`, `held` (started without it by the model admission, searching by keyword), or `none`
 * (no worker, or the model could not be used: missing, or an index without vectors).
 */
export type WorkerModel = 'none' | 'admitted' | 'loaded' | 'held';

export interface GateStats {
  /** `not-started` until the first task; `recycled` between a recycle and the next task, which starts a fresh worker. */
  worker: 'not-started' | 'running' | 'recycled' | 'stopped' | 'unavailable';
  recycles: number;
  recyclesByReason: Record<RecycleReason, number>;
  tasksSinceRecycle: number;
  /** Tasks after which the current worker is recycled (`WORKER_MAX_TASKS` plus jitter). */
  recycleAfter: number;
  tasksTotal: number;
  crashes: number;
  /** Of the crashes, workers stopped by their V8 heap limit (`WORKER_HEAP_MB`). */
  outOfMemory: number;
  /** Tasks retried on a fresh worker after a crash. */
  retried: number;
  queued: number;
  running: boolean;
  lastWorkerMemory: WorkerMemory | null;
  lastState: StatusOutput | null;
  /** The last task's failure, cleared by the next success. */
  lastError: { code: string; message: string } | null;
  model: WorkerModel;
  admission: ModelAdmissionSnapshot | null;
}

export interface TaskResult<T> {
  value: T;
  memory: WorkerMemory;
  state: StatusOutput;
  queueMs: number;
  runMs: number;
}

interface Job {
  task: WorkerTask;
  enqueuedAt: number;
  attempts: number;
  timer: NodeJS.Timeout;
  abort: AbortController;
  settle: (error: Error | undefined, result?: WorkerResult<unknown>, runMs?: number) => void;
}

/** An RSS-triggered recycle needs this many tasks on the worker, so a process that stays above the threshold does not reload the model on every request. */
const MIN_TASKS_BEFORE_RSS_RECYCLE = 10;

/**
 * The main thread's client of the one worker thread. Piscina runs the worker; this class is the
 * gate in front of it: a bounded FIFO queue handing Piscina one task at a time, a deadline per
 * task, and recycling. Piscina cannot recycle a worker itself, and a worker that exits on its own
 * loses the next task, so the gate recycles between tasks: after `maxTasks` plus jitter, when the
 * process RSS passes a threshold, or after a crash. No task is lost: the next one waits for the
 * fresh worker.
 */
export class WorkerGate {
  private piscina: Piscina | undefined;
  private readonly queue: Job[] = [];
  private running: Job | undefined;
  private pumping = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private queueLimit: number | undefined;
  /** Set when a fresh worker crashed: the message, until a probe says whether any worker can start. */
  private probePending: string | undefined;
  private unavailableUntil = 0;
  private unavailableReason = '';
  private recyclePending: RecycleReason | undefined;
  private workerModel: WorkerModel = 'none';
  /** What the current worker added to RSS once its index (and model) loaded, as it measured it (MB). */
  private workerMb = 0;
  /** The memory governor asked for this worker to go: whatever ends it, the model is held back. */
  private memoryAsked = false;
  /** Decided when a keyword-only worker is swapped for one with the model: the next start loads it. */
  private nextStart: { load: true } | undefined;
  private readonly rss: () => number;
  private readonly random: () => number;
  private readonly stats: Omit<GateStats, 'worker' | 'queued' | 'running' | 'model' | 'admission'>;

  constructor(private readonly options: WorkerGateOptions) {
    this.rss = options.rss ?? (() => process.memoryUsage.rss());
    this.random = options.random ?? Math.random;
    this.stats = {
      recycles: 0,
      recyclesByReason: { tasks: 0, rss: 0, memory: 0, crash: 0, timeout: 0, requested: 0, model: 0 },
      tasksSinceRecycle: 0,
      recycleAfter: this.nextRecycleAfter(),
      tasksTotal: 0,
      crashes: 0,
      outOfMemory: 0,
      retried: 0,
      lastWorkerMemory: null,
      lastState: null,
      lastError: null,
    };
  }

  /** Run one task on the worker. Rejects with an ApiError (503 when unavailable or full, 504 past the deadline). */
  run<K extends WorkerTask['task']>(task: Extract<WorkerTask, { task: K }>): Promise<TaskResult<TaskOutputs[K]>> {
    if (this.closing) return Promise.reject(new ServiceUnavailableError('SHUTTING_DOWN', 'The server is shutting down', 5));
    const now = Date.now();
    if (now < this.unavailableUntil) return Promise.reject(this.unavailable());
    const { taskTimeoutMs } = this.options.settings;
    const maxQueue = this.queueLimit ?? this.options.settings.maxQueue;
    if (this.queue.length >= maxQueue) {
      return Promise.reject(new ServiceUnavailableError('QUEUE_FULL', `${this.queue.length} requests are already waiting for the search worker (limit ${maxQueue})`, 1));
    }
    return new Promise((resolve, reject) => {
      const job: Job = {
        task,
        enqueuedAt: now,
        attempts: 0,
        abort: new AbortController(),
        timer: setTimeout(() => this.expire(job), taskTimeoutMs),
        settle: (error, result, runMs = 0) => {
          clearTimeout(job.timer);
          if (error) return reject(error);
          if (!result!.ok) return reject(workerFailure(result!.code, result!.message));
          resolve({ value: result!.value as TaskOutputs[K], memory: result!.memory, state: result!.state, queueMs: Date.now() - job.enqueuedAt - runMs, runMs });
        },
      };
      this.queue.push(job);
      void this.pump();
    });
  }

  /** A search task: the one the HTTP routes and the answerer use. */
  search(request: SearchRequest): Promise<TaskResult<SearchOutput>> {
    return this.run({ task: 'search', ...request });
  }

  /** A task is running or waiting: extra work (scoring sentences by meaning) would delay someone. */
  get busy(): boolean {
    return Boolean(this.running) || this.queue.length > 0;
  }

  /** Lower the queue bound (cautious memory mode); `undefined` restores `WORKER_QUEUE_MAX`. */
  setQueueLimit(limit: number | undefined): void {
    this.queueLimit = limit;
  }

  /**
   * Fail every queued (not yet running) task with `error`, so the worker goes idle and a pending
   * recycle happens now rather than after the backlog (degraded memory mode). Returns how many.
   */
  shedQueued(error: Error): number {
    const shed = this.queue.splice(0);
    for (const job of shed) job.settle(error);
    this.wakeIfIdle();
    return shed.length;
  }

  /** Recycle the worker at its next idle moment (the memory governor's lever). A memory recycle outranks a routine one. */
  requestRecycle(reason: RecycleReason = 'requested'): void {
    if (reason === 'memory') this.memoryAsked = true;
    if (reason === 'memory' && this.recyclePending !== 'crash' && this.recyclePending !== 'timeout') this.recyclePending = reason;
    else this.recyclePending ??= reason;
    if (!this.running) void this.pump();
  }

  snapshot(): GateStats {
    const worker = Date.now() < this.unavailableUntil ? 'unavailable' : this.closed ? 'stopped' : this.piscina ? 'running' : this.stats.tasksTotal || this.stats.crashes ? 'recycled' : 'not-started';
    return {
      ...this.stats,
      recyclesByReason: { ...this.stats.recyclesByReason },
      worker,
      queued: this.queue.length,
      running: Boolean(this.running),
      model: this.piscina ? this.workerModel : 'none',
      admission: this.options.admission?.snapshot() ?? null,
    };
  }

  /** Refuse new tasks, let queued and running ones finish, then stop the worker. */
  close(): Promise<void> {
    this.closing = true;
    this.closed ??= this.whenIdle().then(async () => {
      const piscina = this.piscina;
      this.piscina = undefined;
      await piscina?.destroy();
    });
    return this.closed;
  }

  /** Idle: nothing running or queued, and the loop stopped (it may be mid-recycle or mid-probe, starting a worker). */
  private whenIdle(): Promise<void> {
    if (!this.running && !this.pumping && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private nextRecycleAfter(): number {
    const { maxTasks, maxTasksJitter } = this.options.settings;
    return maxTasks + Math.floor(this.random() * (maxTasksJitter + 1));
  }

  private start(): Piscina {
    const { settings, filename, workerData, log, admission } = this.options;
    const decision = this.nextStart ?? admission?.decide() ?? { load: true };
    this.nextStart = undefined;
    this.workerModel = decision.load ? 'admitted' : 'held';
    if (!decision.load) log.info('search worker starts without the embedding model', { reason: decision.reason });
    const piscina = new Piscina({
      filename,
      workerData: { ...workerData, rssAtSpawnBytes: this.rss(), ...(decision.load ? {} : { withoutModel: decision.reason }) } satisfies WorkerConfig,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      resourceLimits: { maxOldGenerationSizeMb: settings.heapMb, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    // Without a listener, a worker that dies while idle throws 'error' on the process and kills it.
    piscina.on('error', (error: unknown) => {
      log.warn('search worker failed while idle', { error: error instanceof Error ? error.message : String(error) });
      if (this.piscina !== piscina) return;
      this.stats.crashes++;
      this.countOutOfMemory(error);
      this.recyclePending ??= 'crash';
    });
    return piscina;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        if (this.probePending !== undefined) await this.probe(this.probePending);
        if (this.recyclePending) await this.recycle(this.recyclePending);
        const job = this.queue.shift();
        if (!job) break;
        await this.execute(job);
      }
    } finally {
      this.pumping = false;
      this.wakeIfIdle();
    }
  }

  private wakeIfIdle(): void {
    if (!this.running && !this.pumping && this.queue.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private async execute(job: Job): Promise<void> {
    if (Date.now() < this.unavailableUntil) {
      job.settle(this.unavailable());
      return;
    }
    this.running = job;
    job.attempts++;
    const started = Date.now();
    try {
      // Inside the try: creating a worker can throw synchronously (e.g. a thread limit).
      this.piscina ??= this.start();
      const result = (await this.piscina.run(job.task, { signal: job.abort.signal })) as WorkerResult<unknown>;
      this.stats.tasksTotal++;
      this.stats.tasksSinceRecycle++;
      this.stats.lastWorkerMemory = result.memory;
      this.stats.lastState = result.state;
      this.stats.lastError = result.ok ? null : { code: result.code, message: result.message };
      job.settle(undefined, result, Date.now() - started);
      this.noteModel(result.state);
      if (this.stats.tasksSinceRecycle >= this.stats.recycleAfter) this.recyclePending ??= 'tasks';
      else if (this.stats.tasksSinceRecycle >= MIN_TASKS_BEFORE_RSS_RECYCLE && this.rss() > this.options.settings.recycleRssMb * 1048576) this.recyclePending ??= 'rss';
    } catch (error) {
      this.onTaskFailure(job, error);
    } finally {
      this.running = undefined;
      this.options.onTaskDone?.();
    }
  }

  /** Measure a model load when it happens; swap a keyword-only worker for a full one once memory allows. */
  private noteModel(state: StatusOutput): void {
    const { admission } = this.options;
    if (!state.indexLoaded) return;
    if (state.loadCostMb !== undefined) this.workerMb = state.loadCostMb;
    if (this.workerModel === 'admitted') {
      this.workerModel = state.modelLoaded ? 'loaded' : 'none';
      if (state.modelLoaded && state.loadCostMb !== undefined) admission?.loaded(state.loadCostMb);
    } else if (this.workerModel === 'held' && !this.recyclePending && admission?.wouldLoad(this.workerMb)) {
      // Decided once, here: the replacement loads the model whatever RSS reads at its start.
      this.nextStart = { load: true };
      this.recyclePending = 'model';
    }
  }

  private onTaskFailure(job: Job, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (job.abort.signal.aborted) {
      // Piscina terminates a worker whose running task is aborted: start clean next time.
      this.recyclePending ??= 'timeout';
      return;
    }
    this.stats.crashes++;
    this.stats.lastError = { code: 'WORKER_CRASHED', message };
    this.recyclePending = 'crash';
    const code = (error as { code?: unknown }).code;
    this.countOutOfMemory(error);
    this.options.log.warn('search worker crashed', { task: job.task.task, code, message, attempt: job.attempts });
    // A fresh worker failing may mean no worker can start at all, or only that this task kills
    // workers. A probe on another fresh worker tells which, before anyone else is failed.
    if (this.stats.tasksSinceRecycle === 0) this.probePending = message;
    if (job.attempts < 2) {
      // Once, on a fresh worker: an out-of-memory or crash is usually the worker's state, not the task.
      this.stats.retried++;
      this.queue.unshift(job);
      return;
    }
    job.settle(new ServiceUnavailableError('WORKER_CRASHED', `The search worker crashed twice on this request: ${message}`, 1, { cause: error }));
  }

  /** Start a fresh worker and run a task that loads nothing; if even that fails, the worker cannot start. */
  private async probe(crashMessage: string): Promise<void> {
    this.probePending = undefined;
    await this.recycle('crash');
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), Math.min(this.options.settings.taskTimeoutMs, 10_000));
    try {
      this.piscina = this.start();
      await this.piscina.run({ task: 'status' } satisfies WorkerTask, { signal: abort.signal });
    } catch (error) {
      const { restartCooldownMs } = this.options.settings;
      const message = error instanceof Error ? error.message : crashMessage;
      this.countOutOfMemory(error);
      this.unavailableUntil = Date.now() + restartCooldownMs;
      this.unavailableReason = message;
      this.stats.lastError = { code: 'WORKER_UNAVAILABLE', message };
      this.recyclePending = 'crash';
      this.options.log.error('search worker cannot be started; refusing tasks for a while', { cooldownMs: restartCooldownMs, message });
      const unavailable = this.unavailable({ cause: error });
      for (const queued of this.queue.splice(0)) queued.settle(unavailable);
    } finally {
      clearTimeout(timer);
    }
  }

  private countOutOfMemory(error: unknown): void {
    if ((error as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY') this.stats.outOfMemory++;
  }

  private unavailable(options: { cause?: unknown } = {}): ServiceUnavailableError {
    const seconds = Math.max(1, (this.unavailableUntil - Date.now()) / 1000);
    return new ServiceUnavailableError('WORKER_UNAVAILABLE', `The search worker cannot start: ${this.unavailableReason}`, seconds, options);
  }

  private expire(job: Job): void {
    const index = this.queue.indexOf(job);
    if (index >= 0) this.queue.splice(index, 1);
    if (this.running === job) job.abort.abort(new Error('task deadline passed'));
    job.settle(new TaskTimeoutError(job.task.task, this.options.settings.taskTimeoutMs));
    this.wakeIfIdle();
  }

  private async recycle(reason: RecycleReason): Promise<void> {
    this.recyclePending = undefined;
    const piscina = this.piscina;
    this.piscina = undefined;
    if (reason !== 'model') this.nextStart = undefined;
    if (this.workerModel === 'loaded' || this.workerModel === 'admitted') {
      const forMemory = this.memoryAsked || reason === 'memory' || reason === 'rss';
      this.options.admission?.unloaded(forMemory ? 'memory' : reason === 'tasks' ? 'routine' : 'other');
    }
    this.memoryAsked = false;
    this.workerModel = 'none';
    this.workerMb = 0;
    if (piscina) {
      this.stats.recycles++;
      this.stats.recyclesByReason[reason]++;
      this.options.log.info('search worker recycled', { reason, tasks: this.stats.tasksSinceRecycle, rssMb: Math.round(this.rss() / 1048576) });
      await piscina.destroy().catch(() => undefined);
    }
    this.stats.tasksSinceRecycle = 0;
    this.stats.recycleAfter = this.nextRecycleAfter();
  }
}
