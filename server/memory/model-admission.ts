import { statSync } from 'node:fs';
import type { MemoryMode } from './governor.js';

export interface ModelAdmissionSettings {
  /** RSS in MB that a model load must leave the process under: the cautious threshold, or the worker's RSS recycle threshold if lower. */
  ceilingMb: number;
  /** What the ceiling is, for refusal messages ("the cautious threshold"). */
  ceilingName: string;
  /** How long the model stays unloaded after the memory governor had a model worker recycled; doubles on each repeat. */
  holdMs: number;
  maxHoldMs: number;
}

export type AdmissionDecision = { load: true } | { load: false; reason: string };

/** How a worker that held, or was about to load, the model ended. */
export type UnloadCause = 'memory' | 'routine' | 'other';

export interface ModelAdmissionSnapshot {
  /** MB a worker with the model is expected to add to RSS (thread, index and model): the largest of the last loads measured, or a prior from the model file before one. */
  loadCostMb: number;
  measured: boolean;
  ceilingMb: number;
  /** Set while the model is held back after a memory recycle (ISO time). */
  heldUntil: string | null;
  /** The next hold, should the model be recycled for memory again. */
  nextHoldMs: number;
  /** Why the current worker runs without the model, if it does. */
  lastRefusal: string | null;
  refusals: number;
}

const MB = 1048576;
/** transformers.js, onnxruntime and the tokenizer before any weights, roughly (README "Memory"). */
const RUNTIME_PRIOR_MB = 40;
/**
 * Loads remembered for the cost. One load measures 55 to 117 MB for the same model, depending on
 * what the main thread allocates meanwhile, so the cost is the largest of the last few.
 */
const COSTS_KEPT = 5;

/**
 * The prior for a model load before one has been measured: the runtime, plus twice the ONNX
 * file (onnxruntime holds the weights, and its optimised graph, in native memory).
 */
export function modelCostPriorMb(modelFile: string): number {
  let bytes = 0;
  try {
    bytes = statSync(modelFile).size;
  } catch {
    // Not on disk (a remote model, or missing: the worker says which). The runtime alone, then.
  }
  return Math.round(RUNTIME_PRIOR_MB + (2 * bytes) / MB);
}

/**
 * Decides whether a fresh worker loads the embedding model or searches by keyword alone.
 *
 * The governor can shed and recycle, but it cannot stop a model load already under way (about
 * 100 MB in half a second), so reloading the model right after a memory recycle is what pushed a
 * tightly limited process over its limit. A load is admitted only when the mode is normal, the
 * process RSS plus the load's cost stays under the cautious threshold, and no hold is running; a
 * model recycled for memory is held back for `holdMs`, doubling each time, so the service settles
 * on keyword search instead of flapping between loading and unloading the model. A model worker
 * that ends a full life (its task count) resets the doubling.
 */
export class ModelAdmission {
  private readonly costs: number[] = [];
  private heldUntil = 0;
  private nextHoldMs: number;
  private lastRefusal: string | null = null;
  private refusals = 0;

  constructor(
    private readonly settings: ModelAdmissionSettings,
    private readonly priorMb: number,
    private readonly state: { rssMb: () => number; mode: () => MemoryMode },
    private readonly now: () => number = Date.now,
  ) {
    this.nextHoldMs = settings.holdMs;
  }

  /** For a worker about to start (none running): load the model, or why not. Counts refusals. */
  decide(): AdmissionDecision {
    const decision = this.check(0);
    this.lastRefusal = decision.load ? null : decision.reason;
    if (!decision.load) this.refusals++;
    return decision;
  }

  /** The same test, not counted: may a keyword-only worker of `freedMb`, which goes first, be replaced by one with the model now? */
  wouldLoad(freedMb = 0): boolean {
    return this.check(freedMb).load;
  }

  /** A model worker's first load finished; `costMb` is the RSS it added. */
  loaded(costMb: number): void {
    this.costs.push(Math.max(1, Math.round(costMb)));
    if (this.costs.length > COSTS_KEPT) this.costs.shift();
  }

  /** The prior until a load is measured, then the largest of the last loads. */
  private get loadCostMb(): number {
    return this.costs.length ? Math.max(...this.costs) : this.priorMb;
  }

  /**
   * A worker that held the model, or was admitted to load it, was recycled. For memory: hold the
   * model back, twice as long as last time. After a full routine life: the hold starts over from
   * `holdMs`. A crash or a timeout changes nothing.
   */
  unloaded(cause: UnloadCause): void {
    if (cause === 'routine') this.nextHoldMs = this.settings.holdMs;
    if (cause !== 'memory') return;
    this.heldUntil = this.now() + this.nextHoldMs;
    this.nextHoldMs = Math.min(this.settings.maxHoldMs, this.nextHoldMs * 2);
  }

  snapshot(): ModelAdmissionSnapshot {
    return {
      loadCostMb: this.loadCostMb,
      measured: this.costs.length > 0,
      ceilingMb: Math.round(this.settings.ceilingMb),
      heldUntil: this.now() < this.heldUntil ? new Date(this.heldUntil).toISOString() : null,
      nextHoldMs: this.nextHoldMs,
      lastRefusal: this.lastRefusal,
      refusals: this.refusals,
    };
  }

  private check(freedMb: number): AdmissionDecision {
    const now = this.now();
    if (now < this.heldUntil) {
      const seconds = Math.ceil((this.heldUntil - now) / 1000);
      return { load: false, reason: `the embedding model is held back for ${seconds} s more after memory ran high` };
    }
    const mode = this.state.mode();
    if (mode !== 'normal') return { load: false, reason: `the embedding model is not loaded while memory is ${mode}` };
    const rssMb = this.state.rssMb() - freedMb;
    if (rssMb + this.loadCostMb > this.settings.ceilingMb) {
      return {
        load: false,
        reason: `loading the embedding model (about ${this.loadCostMb} MB) at ${Math.round(rssMb)} MB would pass ${this.settings.ceilingName} of ${Math.round(this.settings.ceilingMb)} MB`,
      };
    }
    return { load: true };
  }
}
