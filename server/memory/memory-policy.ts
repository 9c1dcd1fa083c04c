import { modelFilePath } from '../../workers/model-config.js';
import type { ServerConfig } from '../config.js';
import { memoryDegradedError } from '../http/errors.js';
import type { Logger } from '../logger.js';
import type { WorkerGate } from '../worker-gate/worker-gate.js';
import type { MemoryGovernor, MemoryMode } from './governor.js';
import { ModelAdmission, modelCostPriorMb } from './model-admission.js';

const MB = 1048576;

/** The RSS a model load must leave the process under, and its name for refusal messages. */
export interface ModelCeiling {
  ceilingMb: number;
  ceilingName: string;
}

/**
 * The cautious threshold, or `WORKER_RECYCLE_RSS_MB` if that is lower: a model that would push RSS
 * past the recycle threshold would only be recycled again.
 */
export function modelCeiling(memory: Pick<ServerConfig['memory'], 'limitMb' | 'cautiousAt'>, recycleRssMb: number): ModelCeiling {
  const cautiousMb = memory.limitMb * memory.cautiousAt;
  return recycleRssMb < cautiousMb ? { ceilingMb: recycleRssMb, ceilingName: 'WORKER_RECYCLE_RSS_MB' } : { ceilingMb: cautiousMb, ceilingName: 'the cautious threshold' };
}

/**
 * The model admission for this config: the ceiling above, the hold settings, and a prior cost from
 * the model file. It reads the process RSS (`rss`, in bytes) and the governor's mode when asked.
 */
export function createModelAdmission(
  config: Pick<ServerConfig, 'memory' | 'worker' | 'embedding'>,
  governor: Pick<MemoryGovernor, 'mode'>,
  rss: () => number,
  now?: () => number,
): ModelAdmission {
  const { modelHoldMs, modelMaxHoldMs } = config.memory;
  return new ModelAdmission(
    { ...modelCeiling(config.memory, config.worker.recycleRssMb), holdMs: modelHoldMs, maxHoldMs: modelMaxHoldMs },
    modelCostPriorMb(modelFilePath(config.embedding)),
    { rssMb: () => rss() / MB, mode: () => governor.mode },
    now,
  );
}

/** The queue bound in `mode`: `WORKER_QUEUE_MAX` when normal (`undefined` restores it), otherwise half of it, at least one. */
export function queueLimitFor(mode: MemoryMode, maxQueue: number): number | undefined {
  return mode === 'normal' ? undefined : Math.max(1, Math.floor(maxQueue / 2));
}

export type GovernedGate = Pick<WorkerGate, 'requestRecycle' | 'shedQueued' | 'setQueueLimit'>;

export interface MemoryPolicyOptions {
  /** `WORKER_QUEUE_MAX`. */
  maxQueue: number;
  log: Logger;
}

/**
 * What the service does when the memory mode changes. Leaving normal: give back the worker's
 * memory at its next idle moment, and queue half as many. Degraded: also fail the questions
 * already queued, since the backlog would keep the worker busy, and memory climbing, for seconds
 * more. Back to normal: the full queue again.
 */
export function applyMemoryPolicy(governor: Pick<MemoryGovernor, 'onChange' | 'snapshot'>, gate: GovernedGate, options: MemoryPolicyOptions): void {
  governor.onChange((mode) => {
    if (mode !== 'normal') gate.requestRecycle('memory');
    if (mode === 'degraded') {
      const shed = gate.shedQueued(memoryDegradedError(governor.snapshot()));
      if (shed) options.log.warn('shed queued questions on entering degraded memory mode', { shed });
    }
    gate.setQueueLimit(queueLimitFor(mode, options.maxQueue));
  });
}
