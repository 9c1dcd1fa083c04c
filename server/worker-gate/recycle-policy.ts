import type { WorkerSettings } from '../config.js';

/**
 * `model`: a keyword-only worker replaced by one with the model, once memory allows it again.
 * `generation`: the file store's index was rebuilt, and the next worker serves the new generation.
 */
export type RecycleReason = 'tasks' | 'rss' | 'memory' | 'crash' | 'timeout' | 'requested' | 'model' | 'generation';

/** An RSS-triggered recycle needs this many tasks on the worker, so a process that stays above the threshold does not reload the model on every request. */
export const MIN_TASKS_BEFORE_RSS_RECYCLE = 10;

const MB = 1048576;

export type RecycleSettings = Pick<WorkerSettings, 'maxTasks' | 'maxTasksJitter' | 'recycleRssMb'>;

/** Tasks a fresh worker runs before its routine recycle: `maxTasks` plus up to `maxTasksJitter`, drawn with `random`. */
export function tasksBeforeRecycle(settings: RecycleSettings, random: () => number): number {
  return settings.maxTasks + Math.floor(random() * (settings.maxTasksJitter + 1));
}

/**
 * The recycle pending once `reason` is asked for on top of `pending`. The first reason stands,
 * except that a memory recycle outranks a routine one; a crash or a timeout recycles anyway and
 * keeps its own reason.
 */
export function mergeRecycleRequest(pending: RecycleReason | undefined, reason: RecycleReason): RecycleReason {
  if (reason === 'memory' && pending !== 'crash' && pending !== 'timeout') return reason;
  return pending ?? reason;
}

/**
 * Whether the worker should go after the task it just finished: its task count is reached, or it
 * has run enough tasks and the process RSS (read only then) is past `recycleRssMb`.
 */
export function recycleAfterTask(worker: { tasksSinceRecycle: number; recycleAfter: number }, recycleRssMb: number, rss: () => number): 'tasks' | 'rss' | undefined {
  if (worker.tasksSinceRecycle >= worker.recycleAfter) return 'tasks';
  if (worker.tasksSinceRecycle >= MIN_TASKS_BEFORE_RSS_RECYCLE && rss() > recycleRssMb * MB) return 'rss';
  return undefined;
}

/**
 * When the current worker is due to go, and why. Piscina cannot recycle a worker itself, so the
 * gate asks this between tasks: a recycle is only ever pending, and happens at the next idle
 * moment. Counts the current worker's tasks against its routine limit.
 */
export class RecyclePolicy {
  private pendingReason: RecycleReason | undefined;
  private tasks = 0;
  private limit: number;

  constructor(
    private readonly settings: RecycleSettings,
    private readonly rss: () => number,
    private readonly random: () => number,
  ) {
    this.limit = tasksBeforeRecycle(settings, random);
  }

  /** The recycle waiting for the next idle moment, if any. */
  get pending(): RecycleReason | undefined {
    return this.pendingReason;
  }

  get tasksSinceRecycle(): number {
    return this.tasks;
  }

  /** Tasks after which the current worker is recycled. */
  get recycleAfter(): number {
    return this.limit;
  }

  /** Asked from outside (the memory governor, an operator): see `mergeRecycleRequest`. */
  request(reason: RecycleReason): void {
    this.pendingReason = mergeRecycleRequest(this.pendingReason, reason);
  }

  /** Recycle for `reason` unless a recycle is already pending. */
  requestIfNone(reason: RecycleReason): void {
    this.pendingReason ??= reason;
  }

  /** Recycle for `reason` whatever was pending: a worker that crashed must go, and say so. */
  require(reason: RecycleReason): void {
    this.pendingReason = reason;
  }

  /** A task succeeded on the current worker. */
  taskDone(): void {
    this.tasks++;
  }

  /** After a finished task has been accounted for: recycle for its count or RSS, unless something else is pending. */
  checkAfterTask(): void {
    const reason = recycleAfterTask({ tasksSinceRecycle: this.tasks, recycleAfter: this.limit }, this.settings.recycleRssMb, this.rss);
    if (reason) this.requestIfNone(reason);
  }

  /** The pending recycle begins: nothing is pending any more. */
  begin(): void {
    this.pendingReason = undefined;
  }

  /** The old worker is gone: the next one starts its count over, with a new jitter. */
  restart(): void {
    this.tasks = 0;
    this.limit = tasksBeforeRecycle(this.settings, this.random);
  }
}
