import { describe, expect, it } from '@jest/globals';
import type { ModelFingerprint } from '../../store/manifest.js';
import { describeDifference, fingerprintDifferences, sameModel } from '../../store/model-fingerprint.js';

const BUILT: ModelFingerprint = { id: 'org/a', dimensions: 384, fileSha256: 'a'.repeat(64), dtype: 'q8', pooling: 'mean', maxTokens: 128 };

describe('fingerprintDifferences', () => {
  it('lists id, dimensions and file hash, in that order, as the refusal says them', () => {
    const differences = fingerprintDifferences(BUILT, { fileSha256: 'b'.repeat(64), dimensions: 512, id: 'org/b' });
    expect(differences.map((d) => d.field)).toEqual(['id', 'dimensions', 'fileSha256']);
    expect(differences.map(describeDifference)).toEqual([
      'model org/a in the index, org/b configured',
      '384 dimensions in the index, 512 from the model',
      `model file sha256 ${'a'.repeat(12)}… in the index, ${'b'.repeat(12)}… on disk`,
    ]);
  });

  it('compares only what is known now', () => {
    expect(fingerprintDifferences(BUILT, {})).toEqual([]);
    expect(fingerprintDifferences(BUILT, { id: 'org/a', fileSha256: undefined })).toEqual([]);
    expect(fingerprintDifferences(BUILT, { fileSha256: 'c'.repeat(64) })).toEqual([{ field: 'fileSha256', built: BUILT.fileSha256, current: 'c'.repeat(64) }]);
  });
});

describe('sameModel', () => {
  it('holds two lexical-only indexes the same, and one with vectors apart from one without', () => {
    expect(sameModel(null, null)).toBe(true);
    expect(sameModel(BUILT, null)).toBe(false);
    expect(sameModel(null, BUILT)).toBe(false);
  });

  it('goes by the weights: the same file is the same model, another file is not', () => {
    expect(sameModel(BUILT, { ...BUILT, maxTokens: 256 })).toBe(true);
    expect(sameModel(BUILT, { ...BUILT, fileSha256: 'd'.repeat(64) })).toBe(false);
  });
});
