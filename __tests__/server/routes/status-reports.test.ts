import { describe, expect, it } from '@jest/globals';
import type { IndexCheck } from '../../../server/index-check.js';
import { readiness, type ReadinessContext } from '../../../server/routes/status-reports.js';
import { gateStats } from '../../helpers/fake-app.js';

const NOT_STARTED = gateStats({ worker: 'not-started', lastState: null, model: 'none' });
const context = (index: IndexCheck | null, over: Partial<ReadinessContext> = {}): ReadinessContext => ({
  stats: NOT_STARTED, memory: null, shuttingDown: false, indexDir: '/index', embeddingModel: 'static', llmModel: null, index, ...over,
});

describe('readiness before the first question, from the boot check of the manifest', () => {
  it('tells hybrid retrieval and the generation without anything loaded', () => {
    const report = readiness(context({ ok: true, retrieval: 'hybrid', generation: 'gen-1', chunks: 260 }));
    expect(report).toMatchObject({ ready: true, retrieval: 'hybrid', index: { loaded: false, generation: 'gen-1', chunks: 260 }, model: { loaded: false } });
    expect(report.reason).toMatch(/load on the first request/);
  });

  it('tells keyword-only retrieval, and why, for an index built without vectors', () => {
    const report = readiness(context({ ok: true, retrieval: 'lexical', reason: 'the index was built without an embedding model', generation: 'gen-1', chunks: 9 }));
    expect(report).toMatchObject({ ready: true, retrieval: 'lexical', reason: 'keyword search only: the index was built without an embedding model' });
  });

  it('is not ready, with the reason, when the check refused the index', () => {
    const report = readiness(context({ ok: false, retrieval: 'hybrid', reason: 'the index was built with A/b, which is not on disk', generation: 'gen-1', chunks: 9 }));
    expect(report).toMatchObject({ ready: false, retrieval: 'hybrid', reason: 'the index was built with A/b, which is not on disk' });
  });

  it('lets what the worker loaded outrank the check once it has loaded', () => {
    const loaded = gateStats({ lastState: { indexLoaded: true, modelLoaded: false, retrieval: 'lexical', degradedReason: 'model held back', chunks: 42, model: null, indexDir: '/index', generation: 'gen-2' } });
    const report = readiness(context({ ok: true, retrieval: 'hybrid', generation: 'gen-1', chunks: 9 }, { stats: loaded }));
    expect(report).toMatchObject({ ready: true, retrieval: 'lexical', reason: 'keyword search only: model held back', index: { loaded: true, generation: 'gen-2', chunks: 42 } });
  });

  it('keeps the shape without a check (null retrieval until loaded), as before', () => {
    expect(readiness(context(null))).toMatchObject({ ready: true, retrieval: null, index: { generation: null, chunks: 0 } });
  });
});
