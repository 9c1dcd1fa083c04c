import { describe, expect, it } from '@jest/globals';
import { reciprocalRankFusion, weightedScoreFusion } from '../../workers/fusion.js';
import { vectorSearch } from '../../workers/vector-search.js';

describe('reciprocalRankFusion', () => {
  it('ranks a document found by both lists above ones found by one, and keeps both ranks', () => {
    const fused = reciprocalRankFusion([
      { name: 'vector', weight: 1, hits: [{ row: 1, score: 0.9 }, { row: 2, score: 0.8 }] },
      { name: 'lexical', weight: 1, hits: [{ row: 3, score: 12 }, { row: 2, score: 7 }] },
    ]);
    expect(fused.map((h) => h.row)).toEqual([2, 1, 3]);
    expect(fused[0]).toMatchObject({ vector: { rank: 2, score: 0.8 }, lexical: { rank: 2, score: 7 } });
    expect(fused[0]!.score).toBeCloseTo(2 / 62, 10);
  });

  it('applies weights', () => {
    const fused = reciprocalRankFusion([
      { name: 'vector', weight: 0.1, hits: [{ row: 1, score: 0.9 }] },
      { name: 'lexical', weight: 1, hits: [{ row: 2, score: 3 }] },
    ]);
    expect(fused.map((h) => h.row)).toEqual([2, 1]);
  });
});

describe('weightedScoreFusion', () => {
  it('adds the weighted cosine to the weighted BM25 scaled by the best BM25', () => {
    const fused = weightedScoreFusion([
      { name: 'vector', weight: 0.3, hits: [{ row: 1, score: 0.9 }, { row: 2, score: 0.5 }] },
      { name: 'lexical', weight: 0.7, hits: [{ row: 2, score: 20 }, { row: 3, score: 10 }] },
    ]);
    expect(fused.map((h) => h.row)).toEqual([2, 3, 1]);
    expect(fused[0]!.score).toBeCloseTo(0.3 * 0.5 + 0.7 * 1, 6);
    expect(fused[1]!.score).toBeCloseTo(0.7 * 0.5, 6);
    expect(fused[2]!.score).toBeCloseTo(0.3 * 0.9, 6);
    expect(fused[0]).toMatchObject({ vector: { rank: 2, score: 0.5 }, lexical: { rank: 1, score: 20 } });
  });

  it('keeps a keyword match that is far ahead above a slightly closer vector match', () => {
    const fused = weightedScoreFusion([
      { name: 'vector', weight: 0.3, hits: [{ row: 1, score: 0.62 }, { row: 2, score: 0.6 }] },
      { name: 'lexical', weight: 0.7, hits: [{ row: 2, score: 30 }, { row: 1, score: 3 }] },
    ]);
    expect(fused[0]!.row).toBe(2);
  });
});

describe('vectorSearch', () => {
  it('returns the top rows by dot product, honouring the filter', () => {
    const dims = 2;
    const vectors = new Float32Array([1, 0, 0, 1, Math.SQRT1_2, Math.SQRT1_2, -1, 0]);
    const query = new Float32Array([1, 0]);
    expect(vectorSearch(vectors, dims, query, 2).map((h) => h.row)).toEqual([0, 2]);
    expect(vectorSearch(vectors, dims, query, 10).map((h) => h.row)).toEqual([0, 2, 1, 3]);
    expect(vectorSearch(vectors, dims, query, 2, (row) => row !== 0).map((h) => h.row)).toEqual([2, 1]);
  });
});
