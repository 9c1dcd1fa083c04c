import { describe, expect, it } from '@jest/globals';
import { CALIBRATION_REVISION, calibrationStale, DEFAULT_CALIBRATION, floorsFromSignals } from '../../indexing/calibrate.js';
import { UNRELATED_QUESTIONS } from '../../indexing/calibration-questions.js';

const signals = Array.from({ length: 10 }, (_, i) => ({ similarity: 0.2 + i * 0.02, corpusSimilarity: -0.05 + i * 0.01 }));

describe('floorsFromSignals', () => {
  it('sets each floor at its quantile of what unrelated questions scored, and records the spread', () => {
    const floors = floorsFromSignals(signals, { similarityQuantile: 0.9, corpusQuantile: 0.5, minCoverage: 0.1, minKeywordMatch: 0.2 });
    expect(floors.minSimilarity).toBeCloseTo(0.36, 6);
    expect(floors.minCorpusSimilarity).toBeCloseTo(-0.01, 6);
    expect(floors.method).toEqual({ revision: CALIBRATION_REVISION, unrelatedQuestions: 10, similarityQuantile: 0.9, corpusQuantile: 0.5 });
    expect(floors).toMatchObject({ minCoverage: 0.1, minKeywordMatch: 0.2 });
    expect(floors.unrelated.similarity).toEqual({ p50: 0.28, p90: 0.36, max: 0.38 });
  });

  it('moves with the scores: a corpus where unrelated questions score higher gets higher floors', () => {
    const higher = signals.map((s) => ({ similarity: s.similarity + 0.1, corpusSimilarity: s.corpusSimilarity + 0.1 }));
    const low = floorsFromSignals(signals);
    const high = floorsFromSignals(higher);
    expect(high.minSimilarity).toBeCloseTo(low.minSimilarity + 0.1, 6);
    expect(high.minCorpusSimilarity).toBeCloseTo(low.minCorpusSimilarity + 0.1, 6);
  });
});

describe('the unrelated questions', () => {
  it('are many, distinct, and none is blank', () => {
    expect(UNRELATED_QUESTIONS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(UNRELATED_QUESTIONS.map((q) => q.toLowerCase())).size).toBe(UNRELATED_QUESTIONS.length);
    for (const q of UNRELATED_QUESTIONS) expect(q.trim().length).toBeGreaterThan(5);
  });
});

describe('calibrationStale', () => {
  const current = floorsFromSignals(signals);
  it('is null for a calibration made as the build would make it now', () => {
    expect(calibrationStale(current)).toBeNull();
  });
  it('names a missing calibration, an older revision and other settings', () => {
    expect(calibrationStale(undefined)).toBe('built without a relevance calibration');
    expect(calibrationStale({ ...current, method: { ...current.method, revision: CALIBRATION_REVISION - 1 } })).toBe('calibrated by an older revision');
    expect(calibrationStale(current, { ...DEFAULT_CALIBRATION, similarityQuantile: 0.9 })).toBe('calibrated with other settings');
    expect(calibrationStale({ ...current, minCoverage: 0.33 })).toBe('calibrated with other settings');
  });
});
