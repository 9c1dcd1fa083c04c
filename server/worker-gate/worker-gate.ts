import type { DocumentOutput, SearchOutput, SearchRequest, TaskOutputs, WorkerConfig, WorkerTask } from '../../workers/protocol.js';
import type { WorkerSettings } from '../config.js';
import { ServiceUnavailableError } from '../http/errors.js';
import type { Logger } from '../logger.js';
import type { ModelAdmission } from '../memory/model-admission.js';
import { DispatchLoop } from './dispatch-loop.js';
import type { GateStats } from './gate-stats.js';
import type { RecycleReason } from './recycle-policy.js';
import type { TaskResult } from './task-queue.js';

export type { GateStats } from './gate-stats.js';
export type { WorkerModel } from './model-tracking.js';
export type { RecycleReason } from './recycle-policy.js';
export type { TaskResult } from './task-queue.js';

export interface WorkerGateOptions {
  /** The compiled worker entry (`dist/workers/worker.js`). */
  filename: string;
  workerData: WorkerConfig;
  settings: WorkerSettings;
  log: Logger;
  /** The process RSS in bytes; injectable so tests can drive the RSS-triggered recycle. */
  rss?: () => number;
  random?: () => number;
  /** The clock (ms) for the restart cooldown and the task timings; injectable so tests can step through the cooldown. Deadlines are real timers. */
  now?: () => number;
  /** Called after every task (the memory governor samples RSS then). */
  onTaskDone?: () => void;
  /** Decides, per fresh worker, whether it loads the embedding model; without one it always does. */
  admission?: ModelAdmission;
}

/**
 * The main thread's client of the one worker thread. Piscina runs the worker; this class is the
 * gate in front of it: a bounded FIFO queue handing Piscina one task at a time, a deadline per
 * task, and recycling. Piscina cannot recycle a worker itself, and a worker that exits on its own
 * loses the next task, so the gate recycles between tasks: after `maxTasks` plus jitter, when the
 * process RSS passes a threshold, or after a crash. No task is lost: the next one waits for the
 * fresh worker.
 *
 * This is the public face; the work is done by `DispatchLoop` and its parts (task-queue,
 * recycle-policy, crash-recovery, model-tracking, gate-stats).
 */
export class WorkerGate {
  private readonly machine: DispatchLoop;
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(options: WorkerGateOptions) {
    this.machine = new DispatchLoop({
      ...options,
      rss: options.rss ?? (() => process.memoryUsage.rss()),
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
    });
  }

  /** Run one task on the worker. Rejects with an ApiError (503 when unavailable or full, 504 past the deadline). */
  run<K extends WorkerTask['task']>(task: Extract<WorkerTask, { task: K }>): Promise<TaskResult<TaskOutputs[K]>> {
    if (this.closing) return Promise.reject(new ServiceUnavailableError('SHUTTING_DOWN', 'The server is shutting down', 5));
    return this.machine.submit(task);
  }

  /** A search task: the one the HTTP routes and the answerer use. */
  search(request: SearchRequest): Promise<TaskResult<SearchOutput>> {
    return this.run({ task: 'search', ...request });
  }

  /** One document's text as the index holds it (null: no such source), to show a citation in context. */
  document(source: string, around?: { start: number; end: number }): Promise<TaskResult<DocumentOutput | null>> {
    return this.run({ task: 'document', source, ...(around ? { around } : {}) });
  }

  /**
   * The 503 a task would get now, for refusing a request before its body is read or parsed: under
   * an overload, refusing must cost less than answering, or refusals starve the answers.
   */
  refusalNow(): Error | undefined {
    return this.closing ? new ServiceUnavailableError('SHUTTING_DOWN', 'The server is shutting down', 5) : this.machine.refusalNow();
  }

  /** A task is running or waiting: extra work (scoring sentences by meaning) would delay someone. */
  get busy(): boolean {
    return this.machine.busy;
  }

  /** Lower the queue bound (cautious memory mode); `undefined` restores `WORKER_QUEUE_MAX`. */
  setQueueLimit(limit: number | undefined): void {
    this.machine.setQueueLimit(limit);
  }

  /**
   * Fail every queued (not yet running) task with `error`, so the worker goes idle and a pending
   * recycle happens now rather than after the backlog (degraded memory mode). Returns how many.
   */
  shedQueued(error: Error): number {
    return this.machine.shedQueued(error);
  }

  /** Recycle the worker at its next idle moment (the memory governor's lever). A memory recycle outranks a routine one. */
  requestRecycle(reason: RecycleReason = 'requested'): void {
    this.machine.requestRecycle(reason);
  }

  snapshot(): GateStats {
    return this.machine.snapshot(this.closed !== undefined);
  }

  /** Refuse new tasks, let queued and running ones finish, then stop the worker. */
  close(): Promise<void> {
    this.closing = true;
    this.closed ??= this.machine.stopWhenIdle();
    return this.closed;
  }
}
