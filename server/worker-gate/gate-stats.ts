import type { StatusOutput, WorkerMemory, WorkerResult } from '../../workers/protocol.js';
import type { ModelAdmissionSnapshot } from '../memory/model-admission.js';
import type { WorkerModel } from './model-tracking.js';
import type { RecycleReason } from './recycle-policy.js';

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

/** What the snapshot reads from the gate's other parts at the moment it is taken. */
export interface LiveState {
  unavailable: boolean;
  stopped: boolean;
  /** A worker thread exists now. */
  started: boolean;
  tasksSinceRecycle: number;
  recycleAfter: number;
  queued: number;
  running: boolean;
  model: WorkerModel;
  admission: ModelAdmissionSnapshot | null;
}

/**
 * The gate's counters and the last thing each task reported. Only counts: every decision is taken
 * elsewhere, and the rest of `GateStats` is read live when a snapshot is taken.
 */
export class GateCounters {
  private recycles = 0;
  private readonly recyclesByReason: Record<RecycleReason, number> = { tasks: 0, rss: 0, memory: 0, crash: 0, timeout: 0, requested: 0, model: 0, generation: 0 };
  private tasksTotal = 0;
  private crashes = 0;
  private outOfMemory = 0;
  private retried = 0;
  private lastWorkerMemory: WorkerMemory | null = null;
  private lastState: StatusOutput | null = null;
  private lastError: { code: string; message: string } | null = null;

  /** A task came back from the worker, ok or not: its failure (or none) becomes the last error. */
  taskDone(result: WorkerResult<unknown>): void {
    this.tasksTotal++;
    this.lastWorkerMemory = result.memory;
    this.lastState = result.state;
    this.lastError = result.ok ? null : { code: result.code, message: result.message };
  }

  /** A worker died (under a task or idle). */
  crashed(error: unknown): void {
    this.crashes++;
    this.outOfMemoryIf(error);
  }

  /** Counts `error` if it is V8 stopping a worker at its heap limit. */
  outOfMemoryIf(error: unknown): void {
    if ((error as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY') this.outOfMemory++;
  }

  retriedOnce(): void {
    this.retried++;
  }

  recycled(reason: RecycleReason): void {
    this.recycles++;
    this.recyclesByReason[reason]++;
  }

  failed(code: string, message: string): void {
    this.lastError = { code, message };
  }

  snapshot(live: LiveState): GateStats {
    // The keys keep the order `/api/memory` has always shown.
    return {
      recycles: this.recycles,
      recyclesByReason: { ...this.recyclesByReason },
      tasksSinceRecycle: live.tasksSinceRecycle,
      recycleAfter: live.recycleAfter,
      tasksTotal: this.tasksTotal,
      crashes: this.crashes,
      outOfMemory: this.outOfMemory,
      retried: this.retried,
      lastWorkerMemory: this.lastWorkerMemory,
      lastState: this.lastState,
      lastError: this.lastError,
      worker: this.workerState(live),
      queued: live.queued,
      running: live.running,
      model: live.started ? live.model : 'none',
      admission: live.admission,
    };
  }

  private workerState(live: LiveState): GateStats['worker'] {
    if (live.unavailable) return 'unavailable';
    if (live.stopped) return 'stopped';
    if (live.started) return 'running';
    return this.tasksTotal || this.crashes ? 'recycled' : 'not-started';
  }
}
