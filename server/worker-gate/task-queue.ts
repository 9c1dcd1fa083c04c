import type { StatusOutput, TaskOutputs, WorkerMemory, WorkerResult, WorkerTask } from '../../workers/protocol.js';
import type { WorkerSettings } from '../config.js';
import { ServiceUnavailableError } from '../http/errors.js';
import { workerFailure } from './worker-errors.js';

export interface TaskResult<T> {
  value: T;
  memory: WorkerMemory;
  state: StatusOutput;
  queueMs: number;
  runMs: number;
}

/** One task from its arrival to its answer: waiting, running, retried once after a crash. */
export interface Job {
  readonly task: WorkerTask;
  readonly enqueuedAt: number;
  /** Its place in the order of admission (a retry goes back to it). */
  readonly seq: number;
  attempts: number;
  /** Run alone, never in a batch: a retry after a crash, so a task that kills the worker fails alone. */
  solo: boolean;
  /** Settled: answered, failed or past its deadline. A later settle does nothing. */
  readonly done: boolean;
  readonly abort: AbortController;
  /** Ends the job once: with `error`, or with the worker's result (a failure it reports becomes its ApiError). Clears the deadline. */
  settle(error: Error | undefined, result?: WorkerResult<unknown>, runMs?: number): void;
}

export interface TaskQueueOptions {
  settings: Pick<WorkerSettings, 'maxQueue' | 'taskTimeoutMs'>;
  /** Called when a job's deadline passes, wherever the job is (waiting or running). */
  onDeadline: (job: Job) => void;
  now: () => number;
}

/**
 * The gate's bounded FIFO of waiting tasks. Each task gets its deadline when it arrives, so the
 * deadline covers the wait as well as the run.
 */
export class TaskQueue {
  private readonly jobs: Job[] = [];
  private limit: number | undefined;
  private admitted = 0;

  constructor(private readonly options: TaskQueueOptions) {}

  get length(): number {
    return this.jobs.length;
  }

  /** Lower the bound; `undefined` restores `maxQueue`. */
  setLimit(limit: number | undefined): void {
    this.limit = limit;
  }

  /** The 503 for a task arriving now, if the queue is full. */
  refusal(): ServiceUnavailableError | undefined {
    const maxQueue = this.limit ?? this.options.settings.maxQueue;
    if (this.jobs.length < maxQueue) return undefined;
    return new ServiceUnavailableError('QUEUE_FULL', `${this.jobs.length} requests are already waiting for the search worker (limit ${maxQueue})`, 1);
  }

  /** Queue `task` (the caller checked `refusal()`); the promise settles with its result. */
  add<K extends WorkerTask['task']>(task: Extract<WorkerTask, { task: K }>, enqueuedAt: number): Promise<TaskResult<TaskOutputs[K]>> {
    const { settings, onDeadline, now } = this.options;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => onDeadline(job), settings.taskTimeoutMs);
      let done = false;
      const job: Job = {
        task,
        enqueuedAt,
        seq: this.admitted++,
        attempts: 0,
        solo: false,
        get done() {
          return done;
        },
        abort: new AbortController(),
        settle: (error, result, runMs = 0) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          if (error) return reject(error);
          if (!result!.ok) return reject(workerFailure(result!.code, result!.message));
          resolve({ value: result!.value as TaskOutputs[K], memory: result!.memory, state: result!.state, queueMs: now() - job.enqueuedAt - runMs, runMs });
        },
      };
      this.jobs.push(job);
    });
  }

  /** The oldest waiting job, taken off the queue. */
  next(): Job | undefined {
    return this.jobs.shift();
  }

  /** The oldest waiting job, left on the queue. */
  peek(): Job | undefined {
    return this.jobs[0];
  }

  /** How many jobs from the head, at most `max`, `fits` accepts in a row. */
  countWhile(fits: (job: Job) => boolean, max: number): number {
    let count = 0;
    while (count < max && count < this.jobs.length && fits(this.jobs[count]!)) count++;
    return count;
  }

  /** The jobs from the head that `fits` accepts in a row, at most `max`, taken off the queue in order. */
  takeWhile(fits: (job: Job) => boolean, max: number): Job[] {
    return this.jobs.splice(0, this.countWhile(fits, max));
  }

  /**
   * Put a job back in its place of admission: before everyone who arrived after it. Several tasks
   * failing in one crash come back in their order whatever order their failures are handled in.
   */
  putBack(job: Job): void {
    const at = this.jobs.findIndex((waiting) => waiting.seq > job.seq);
    this.jobs.splice(at < 0 ? this.jobs.length : at, 0, job);
  }

  /** Take `job` off the queue if it is waiting there. */
  remove(job: Job): void {
    const index = this.jobs.indexOf(job);
    if (index >= 0) this.jobs.splice(index, 1);
  }

  /** Every waiting job, taken off the queue in arrival order. */
  takeAll(): Job[] {
    return this.jobs.splice(0);
  }
}
