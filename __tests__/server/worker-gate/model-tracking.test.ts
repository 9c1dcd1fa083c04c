import { describe, expect, it } from '@jest/globals';
import type { StatusOutput } from '../../../workers/protocol.js';
import { createLogger } from '../../../server/logger.js';
import type { MemoryMode } from '../../../server/memory/governor.js';
import { ModelAdmission } from '../../../server/memory/model-admission.js';
import { ModelTracking, unloadCause } from '../../../server/worker-gate/model-tracking.js';
import type { RecycleReason } from '../../../server/worker-gate/recycle-policy.js';

const STATE: StatusOutput = { indexLoaded: true, modelLoaded: true, retrieval: 'hybrid', chunks: 3, model: 'm', indexDir: '/index', generation: 'g1', loadCostMb: 90 };
const KEYWORD_ONLY: StatusOutput = { ...STATE, modelLoaded: false, retrieval: 'lexical', loadCostMb: 20 };

/** A tracking over a real admission (ceiling 100 MB, prior cost 90 MB, hold 60 s) whose RSS, mode and clock the test sets. */
function tracking() {
  const state = { rssMb: 5, mode: 'normal' as MemoryMode, now: 1_000_000 };
  const admission = new ModelAdmission({ ceilingMb: 100, ceilingName: 'the cautious threshold', holdMs: 60_000, maxHoldMs: 60_000 }, 90, { rssMb: () => state.rssMb, mode: () => state.mode }, () => state.now);
  const lines: { message: string; reason?: string }[] = [];
  const log = createLogger('debug', (line) => lines.push(JSON.parse(line) as { message: string; reason?: string }));
  return { model: new ModelTracking(admission, log), admission, state, lines };
}

describe('model tracking', () => {
  it('counts a recycle for memory if the governor asked or RSS ran high, as routine after a full life, otherwise neither', () => {
    const cases: [RecycleReason, boolean, string][] = [
      ['memory', false, 'memory'],
      ['rss', false, 'memory'],
      ['crash', true, 'memory'],
      ['tasks', true, 'memory'],
      ['tasks', false, 'routine'],
      ['crash', false, 'other'],
      ['timeout', false, 'other'],
      ['requested', false, 'other'],
      ['model', false, 'other'],
    ];
    for (const [reason, asked, cause] of cases) expect([reason, asked, unloadCause(reason, asked)]).toEqual([reason, asked, cause]);
  });

  it('starts a worker with the model when admitted, measures the load, and reports no model without a worker', () => {
    const { model, admission } = tracking();
    expect(model.decideStart()).toEqual({ load: true });
    expect(model.current(true)).toBe('admitted');
    expect(model.noteState({ ...STATE, loadCostMb: 70 }, false)).toBe(false);
    expect(model.current(true)).toBe('loaded');
    expect(model.current(false)).toBe('none');
    expect(admission.snapshot()).toMatchObject({ measured: true, loadCostMb: 70 });
    expect(model.admissionSnapshot()).toEqual(admission.snapshot());
  });

  it('an admitted worker whose model could not be used has none', () => {
    const { model, admission } = tracking();
    model.decideStart();
    model.noteState(KEYWORD_ONLY, false);
    expect(model.current(true)).toBe('none');
    expect(admission.snapshot().measured).toBe(false);
  });

  it('starts keyword-only when refused, logs why, and swaps once the model fits, then loads it whatever the admission says at the start', () => {
    const { model, admission, state, lines } = tracking();
    state.rssMb = 30;
    expect(model.decideStart()).toMatchObject({ load: false });
    expect(model.current(true)).toBe('held');
    expect(lines).toEqual([expect.objectContaining({ message: 'search worker starts without the embedding model', reason: expect.stringContaining('would pass the cautious threshold') })]);
    // 30 MB, less the 20 MB this worker holds, plus 90 fits under 100 exactly; not while another recycle is pending.
    expect(model.noteState(KEYWORD_ONLY, true)).toBe(false);
    expect(model.noteState(KEYWORD_ONLY, false)).toBe(true);
    model.workerEnded('model');
    state.rssMb = 95;
    expect(model.decideStart()).toEqual({ load: true });
    expect(admission.snapshot().refusals).toBe(1);
  });

  it('drops a decided swap if the worker ends for another reason', () => {
    const { model, state } = tracking();
    state.rssMb = 30;
    model.decideStart();
    expect(model.noteState(KEYWORD_ONLY, false)).toBe(true);
    model.workerEnded('crash');
    state.rssMb = 95;
    expect(model.decideStart()).toMatchObject({ load: false });
  });

  it('holds the model back when a model worker the governor asked to go ends, whatever ended it; not for a keyword-only one', () => {
    const { model, admission, state } = tracking();
    model.decideStart();
    model.noteState(STATE, false);
    model.memoryRecycleAsked();
    model.workerEnded('crash');
    expect(admission.snapshot().heldUntil).not.toBeNull();
    expect(model.decideStart()).toMatchObject({ load: false, reason: expect.stringMatching(/held back/) });
    state.now += 60_000;
    expect(admission.snapshot().heldUntil).toBeNull();
    model.memoryRecycleAsked();
    model.workerEnded('memory');
    expect(admission.snapshot().heldUntil).toBeNull();
  });
});
