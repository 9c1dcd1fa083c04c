import type { StatusOutput } from '../../workers/protocol.js';
import type { Logger } from '../logger.js';
import type { AdmissionDecision, ModelAdmission, ModelAdmissionSnapshot, UnloadCause } from '../memory/model-admission.js';
import type { RecycleReason } from './recycle-policy.js';

/**
 * The current worker and the embedding model: `admitted` to load it (on its first search),
 * `loaded`, `held` (started without it by the model admission, searching by keyword), or `none`
 * (no worker, or the model could not be used: missing, or an index without vectors).
 */
export type WorkerModel = 'none' | 'admitted' | 'loaded' | 'held';

/**
 * How the end of a worker that held, or was about to load, the model counts for the admission:
 * for memory if the governor had asked for it (whatever ended it) or RSS ran high, routine after
 * a full life, otherwise neither.
 */
export function unloadCause(reason: RecycleReason, memoryAsked: boolean): UnloadCause {
  if (memoryAsked || reason === 'memory' || reason === 'rss') return 'memory';
  return reason === 'tasks' ? 'routine' : 'other';
}

/**
 * The gate's side of the model admission: which worker has the model, what each worker measured,
 * and when a keyword-only worker should be swapped for one with the model. Without an admission
 * every worker loads the model.
 */
export class ModelTracking {
  private model: WorkerModel = 'none';
  /** What the current worker added to RSS once its index (and model) loaded, as it measured it (MB). */
  private workerMb = 0;
  /** The memory governor asked for this worker to go: whatever ends it, the model is held back. */
  private memoryAsked = false;
  /** Decided when a keyword-only worker is swapped for one with the model: the next start loads it. */
  private nextStart: { load: true } | undefined;

  constructor(
    private readonly admission: ModelAdmission | undefined,
    private readonly log: Logger,
  ) {}

  /** The model of the current worker; `none` when there is no worker (`started` false). */
  current(started: boolean): WorkerModel {
    return started ? this.model : 'none';
  }

  admissionSnapshot(): ModelAdmissionSnapshot | null {
    return this.admission?.snapshot() ?? null;
  }

  /** For a worker about to start: whether it loads the model. */
  decideStart(): AdmissionDecision {
    const decision = this.nextStart ?? this.admission?.decide() ?? { load: true };
    this.nextStart = undefined;
    this.model = decision.load ? 'admitted' : 'held';
    if (!decision.load) this.log.info('search worker starts without the embedding model', { reason: decision.reason });
    return decision;
  }

  /** The memory governor asked for the current worker to go. */
  memoryRecycleAsked(): void {
    this.memoryAsked = true;
  }

  /**
   * After each task: measure a model load when it happens. Returns true when a keyword-only worker
   * should be swapped for one with the model now (only asked when no other recycle is pending).
   */
  noteState(state: StatusOutput, recyclePending: boolean): boolean {
    if (!state.indexLoaded) return false;
    if (state.loadCostMb !== undefined) this.workerMb = state.loadCostMb;
    if (this.model === 'admitted') {
      this.model = state.modelLoaded ? 'loaded' : 'none';
      if (state.modelLoaded && state.loadCostMb !== undefined) this.admission?.loaded(state.loadCostMb);
      return false;
    }
    if (this.model !== 'held' || recyclePending || !this.admission?.wouldLoad(this.workerMb)) return false;
    // Decided once, here: the replacement loads the model whatever RSS reads at its start.
    this.nextStart = { load: true };
    return true;
  }

  /** The current worker is being recycled for `reason`: tell the admission if it had the model. */
  workerEnded(reason: RecycleReason): void {
    if (reason !== 'model') this.nextStart = undefined;
    if (this.model === 'loaded' || this.model === 'admitted') this.admission?.unloaded(unloadCause(reason, this.memoryAsked));
    this.memoryAsked = false;
    this.model = 'none';
    this.workerMb = 0;
  }
}
