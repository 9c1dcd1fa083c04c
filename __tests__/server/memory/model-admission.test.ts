import { describe, expect, it } from '@jest/globals';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { MemoryMode } from '../../../server/memory/governor.js';
import { modelCostPriorMb, ModelAdmission } from '../../../server/memory/model-admission.js';
import { SHARED_MODELS } from '../../helpers/models.js';

function admission(start: { rssMb: number; mode?: MemoryMode }) {
  const state = { rssMb: start.rssMb, mode: start.mode ?? ('normal' as MemoryMode), now: 1_000_000 };
  const gate = new ModelAdmission({ ceilingMb: 200, ceilingName: 'the cautious threshold', holdMs: 30_000, maxHoldMs: 100_000 }, 90, { rssMb: () => state.rssMb, mode: () => state.mode }, () => state.now);
  return { gate, state };
}

describe('model admission', () => {
  it('admits a load only when RSS plus its cost stays under the ceiling, in normal mode', () => {
    const { gate, state } = admission({ rssMb: 100 });
    expect(gate.decide()).toEqual({ load: true });
    state.rssMb = 111;
    const refused = gate.decide();
    expect(refused).toEqual({ load: false, reason: 'loading the embedding model (about 90 MB) at 111 MB would pass the cautious threshold of 200 MB' });
    expect(gate.snapshot()).toMatchObject({ loadCostMb: 90, measured: false, lastRefusal: refused.load ? null : refused.reason, refusals: 1 });
    state.rssMb = 50;
    state.mode = 'cautious';
    expect(gate.decide()).toEqual({ load: false, reason: 'the embedding model is not loaded while memory is cautious' });
    state.mode = 'normal';
    expect(gate.decide()).toEqual({ load: true });
    expect(gate.snapshot().lastRefusal).toBeNull();
    // Replacing a keyword-only worker frees what that worker holds first.
    state.rssMb = 130;
    expect(gate.wouldLoad()).toBe(false);
    expect(gate.wouldLoad(20)).toBe(true);
  });

  it('uses the largest of the last five measured loads instead of the prior', () => {
    const { gate, state } = admission({ rssMb: 150 });
    expect(gate.wouldLoad()).toBe(false);
    gate.loaded(40.4);
    expect(gate.snapshot()).toMatchObject({ loadCostMb: 40, measured: true });
    expect(gate.wouldLoad()).toBe(true);
    state.rssMb = 161;
    expect(gate.wouldLoad()).toBe(false);
    expect(gate.snapshot().refusals).toBe(0);
    const costs = [30, 45, 35, 20, 25, 28, 22];
    const seen = costs.map((mb) => {
      gate.loaded(mb);
      return gate.snapshot().loadCostMb;
    });
    // 40 stays until five newer loads push it out; then 45 until it goes too.
    expect(seen).toEqual([40, 45, 45, 45, 45, 45, 35]);
  });

  it('holds the model back after a memory recycle, doubling the hold up to the max, and starts over after a routine one', () => {
    const { gate, state } = admission({ rssMb: 50 });
    const holds: number[] = [];
    for (let i = 0; i < 4; i++) {
      gate.unloaded('memory');
      const until = Date.parse(gate.snapshot().heldUntil!);
      holds.push(until - state.now);
      expect(gate.decide()).toMatchObject({ load: false, reason: expect.stringMatching(/^the embedding model is held back for \d+ s more/) });
      state.now = until - 1;
      expect(gate.wouldLoad()).toBe(false);
      state.now = until;
      expect(gate.wouldLoad()).toBe(true);
      expect(gate.snapshot().heldUntil).toBeNull();
    }
    expect(holds).toEqual([30_000, 60_000, 100_000, 100_000]);
    // A crash or a timeout says nothing about memory: no hold, and the doubling stays.
    gate.unloaded('other');
    expect(gate.snapshot()).toMatchObject({ heldUntil: null, nextHoldMs: 100_000 });
    gate.unloaded('routine');
    expect(gate.snapshot().nextHoldMs).toBe(30_000);
    expect(gate.wouldLoad()).toBe(true);
  });

  it('takes its prior from the model file: the runtime plus twice the weights', () => {
    const file = path.join(SHARED_MODELS, 'Synthetic/random-minilm-l6/onnx/model_quantized.onnx');
    expect(modelCostPriorMb(file)).toBe(Math.round(40 + (2 * statSync(file).size) / 1048576));
    expect(modelCostPriorMb(path.join(SHARED_MODELS, 'no/such/model.onnx'))).toBe(40);
  });
});
