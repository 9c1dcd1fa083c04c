import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../server/config.js';
import type { ApiError } from '../../../server/http/errors.js';
import { createLogger } from '../../../server/logger.js';
import type { GovernorSnapshot, MemoryMode } from '../../../server/memory/governor.js';
import { applyMemoryPolicy, createModelAdmission, modelCeiling, queueLimitFor, type GovernedGate } from '../../../server/memory/memory-policy.js';
import { modelCostPriorMb } from '../../../server/memory/model-admission.js';
import { modelFilePath } from '../../../workers/model-config.js';
import { SHARED_MODELS, STATIC_MODEL } from '../../helpers/models.js';

const MB = 1048576;
const SNAPSHOT: GovernorSnapshot = { mode: 'degraded', rssMb: 450, limitMb: 500, cautiousAtMb: 390, degradedAtMb: 440, since: '2024-01-01T00:00:00.000Z', transitions: 2 };

/** A governor that only records its listener, and a gate that records what it is told, in order. */
function wired(options: { maxQueue?: number; queued?: number } = {}) {
  type Listener = (mode: MemoryMode, previous: MemoryMode) => void;
  let listener: Listener | undefined;
  const governor = { onChange: (registered: Listener) => void (listener = registered), snapshot: () => SNAPSHOT };
  const calls: unknown[][] = [];
  let shed: Error | undefined;
  const gate: GovernedGate = {
    requestRecycle: (reason) => void calls.push(['requestRecycle', reason]),
    shedQueued: (error) => {
      shed = error;
      calls.push(['shedQueued']);
      return options.queued ?? 0;
    },
    setQueueLimit: (limit) => void calls.push(['setQueueLimit', limit]),
  };
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  applyMemoryPolicy(governor, gate, { maxQueue: options.maxQueue ?? 9, log });
  const change = (mode: MemoryMode, previous: MemoryMode) => {
    calls.length = 0;
    listener!(mode, previous);
    return calls.slice();
  };
  return { change, lines, shedError: () => shed };
}

describe('the memory policy', () => {
  it('cautious: recycles the worker for memory and halves the queue, shedding nothing', () => {
    const { change, lines } = wired();
    expect(change('cautious', 'normal')).toEqual([['requestRecycle', 'memory'], ['setQueueLimit', 4]]);
    expect(lines).toEqual([]);
  });

  it('degraded: also fails what is queued with the degraded error, and logs how many', () => {
    const { change, lines, shedError } = wired({ queued: 3 });
    expect(change('degraded', 'cautious')).toEqual([['requestRecycle', 'memory'], ['shedQueued'], ['setQueueLimit', 4]]);
    expect(shedError()).toMatchObject({ status: 503, code: 'MEMORY_DEGRADED', retryAfterSeconds: 10 });
    expect((shedError() as ApiError).message).toContain('(450 of 500 MB)');
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', message: 'shed queued questions on entering degraded memory mode', shed: 3 })]);
  });

  it('degraded with nothing queued logs nothing', () => {
    const { change, lines } = wired({ queued: 0 });
    change('degraded', 'normal');
    expect(lines).toEqual([]);
  });

  it('back to normal: the full queue again and nothing else; down from degraded to cautious: a recycle, no shedding', () => {
    const { change } = wired({ maxQueue: 64 });
    expect(change('normal', 'cautious')).toEqual([['setQueueLimit', undefined]]);
    expect(change('cautious', 'degraded')).toEqual([['requestRecycle', 'memory'], ['setQueueLimit', 32]]);
  });

  it('halves the queue bound outside normal mode, keeping at least one place', () => {
    expect(queueLimitFor('normal', 64)).toBeUndefined();
    expect(queueLimitFor('cautious', 64)).toBe(32);
    expect(queueLimitFor('degraded', 7)).toBe(3);
    expect(queueLimitFor('degraded', 1)).toBe(1);
  });

  it('puts the model ceiling at the cautious threshold, or at WORKER_RECYCLE_RSS_MB if that is lower', () => {
    expect(modelCeiling({ limitMb: 500, cautiousAt: 0.78 }, 8000)).toEqual({ ceilingMb: 390, ceilingName: 'the cautious threshold' });
    expect(modelCeiling({ limitMb: 500, cautiousAt: 0.78 }, 300)).toEqual({ ceilingMb: 300, ceilingName: 'WORKER_RECYCLE_RSS_MB' });
    expect(modelCeiling({ limitMb: 500, cautiousAt: 0.78 }, 390)).toEqual({ ceilingMb: 390, ceilingName: 'the cautious threshold' });
  });

  it('builds the model admission from config: the ceiling, the hold, the prior from the model file, RSS and mode read live', () => {
    const config = loadConfig({ MODEL_DIR: SHARED_MODELS, EMBEDDING_MODEL: STATIC_MODEL.model, MEMORY_LIMIT_MB: '500', WORKER_RECYCLE_RSS_MB: '8000', MEMORY_MODEL_HOLD_MS: '2000' });
    const prior = modelCostPriorMb(modelFilePath(config.embedding));
    expect(prior).toBeGreaterThan(40);
    const governor = { mode: 'normal' as MemoryMode };
    let rssMb = 390 - prior;
    let now = 1_000_000;
    const admission = createModelAdmission(config, governor, () => rssMb * MB, () => now);
    expect(admission.snapshot()).toMatchObject({ ceilingMb: 390, loadCostMb: prior, measured: false });
    expect(admission.wouldLoad()).toBe(true);
    rssMb += 1;
    expect(admission.decide()).toEqual({ load: false, reason: `loading the embedding model (about ${prior} MB) at ${Math.round(rssMb)} MB would pass the cautious threshold of 390 MB` });
    rssMb = 100;
    governor.mode = 'cautious';
    expect(admission.decide()).toMatchObject({ load: false, reason: 'the embedding model is not loaded while memory is cautious' });
    governor.mode = 'normal';
    admission.unloaded('memory');
    expect(admission.snapshot().heldUntil).toBe(new Date(now + 2000).toISOString());
    now += 2000;
    expect(admission.wouldLoad()).toBe(true);
  });
});
