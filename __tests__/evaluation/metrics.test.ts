import { describe, expect, it } from '@jest/globals';
import { abstentionFigures, mean, median, ndcgAt, percentile, recallAt, reciprocalRank, relevantRanks, share } from '../../evaluation/metrics.js';

describe('relevantRanks', () => {
  it('gives the 1-based ranks of the relevant entries', () => {
    expect(relevantRanks([false, true, false, true])).toEqual([2, 4]);
    expect(relevantRanks([])).toEqual([]);
  });
});

describe('recallAt', () => {
  it('counts questions whose first relevant rank is within k', () => {
    const first = [1, 3, null, 6];
    expect(recallAt(first, 1)).toBe(0.25);
    expect(recallAt(first, 5)).toBe(0.5);
    expect(recallAt(first, 6)).toBe(0.75);
    expect(recallAt([], 5)).toBe(0);
  });
});

describe('reciprocalRank', () => {
  it('is 1/rank within the cut-off and 0 beyond it or with no hit', () => {
    expect(reciprocalRank(1, 10)).toBe(1);
    expect(reciprocalRank(4, 10)).toBe(0.25);
    expect(reciprocalRank(10, 10)).toBe(0.1);
    expect(reciprocalRank(11, 10)).toBe(0);
    expect(reciprocalRank(null, 10)).toBe(0);
  });
});

describe('ndcgAt (binary relevance, ideal from the relevant chunks in the index)', () => {
  it('scores hits at ranks 1 and 3 of two relevant chunks', () => {
    // DCG = 1 + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) = 1.63093
    expect(ndcgAt([1, 3], 2, 10)).toBeCloseTo(1.5 / 1.6309298, 6);
  });

  it('penalises finding one of four relevant chunks even at rank 2', () => {
    // DCG = 1/log2(3) = 0.63093; IDCG = 1 + 0.63093 + 0.5 + 0.43068 = 2.56161
    expect(ndcgAt([2], 4, 10)).toBeCloseTo(0.6309298 / 2.5616063, 6);
  });

  it('caps the ideal at the cut-off and ignores ranks past it', () => {
    expect(ndcgAt([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 15, 10)).toBeCloseTo(1, 10);
    expect(ndcgAt([11, 12], 2, 10)).toBe(0);
    expect(ndcgAt([1, 11], 2, 10)).toBeCloseTo(1 / 1.6309298, 6);
  });

  it('is 0 for a label that matches nothing, and never above 1 on inconsistent counts', () => {
    expect(ndcgAt([], 0, 10)).toBe(0);
    expect(ndcgAt([1, 2], 1, 10)).toBeCloseTo(1, 10);
  });
});

describe('mean, percentile, share', () => {
  it('handles empty input without NaN', () => {
    expect(mean([])).toBe(0);
    expect(percentile([], 95)).toBe(0);
    expect(share(1, 0)).toBeNull();
  });

  it('uses the nearest rank for percentiles, whatever the input order', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 95)).toBe(5);
    expect(percentile([5, 1, 3, 2, 4], 0)).toBe(1);
  });
});

describe('abstentionFigures', () => {
  it('gives recall on off-topic, false abstention on answerable, and precision of abstaining', () => {
    const figures = abstentionFigures({ offTopic: 22, offTopicAbstained: 13, answerable: 208, answerableAbstained: 8 });
    expect(figures.recall).toBeCloseTo(13 / 22, 10);
    expect(figures.falseAbstentionRate).toBeCloseTo(8 / 208, 10);
    expect(figures.precision).toBeCloseTo(13 / 21, 10);
  });

  it('has no precision when nothing abstained, and no recall without off-topic questions', () => {
    expect(abstentionFigures({ offTopic: 0, offTopicAbstained: 0, answerable: 5, answerableAbstained: 0 })).toEqual({ recall: null, falseAbstentionRate: 0, precision: null });
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones, whatever the order', () => {
    expect(median([0.9, 0.1, 0.5])).toBe(0.5);
    expect(median([1, 0, 0.5, 0.25])).toBe(0.375);
    expect(median([0.7])).toBe(0.7);
    expect(median([])).toBe(0);
  });
});
