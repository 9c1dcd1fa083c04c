/**
 * Retrieval and abstention figures, as pure functions of ranks and counts. Relevance is binary;
 * ranks are 1-based; a question with no relevant chunk in the cut-off has rank `null`.
 */

/** Ranks (1-based) of the relevant entries of a ranked list, best first. */
export function relevantRanks(relevant: boolean[]): number[] {
  return relevant.flatMap((isHit, i) => (isHit ? [i + 1] : []));
}

/**
 * Share of questions with a relevant chunk at rank `k` or better. With several relevant chunks per
 * question (every chunk of the labelled section), "recall" here is the usual QA reading: was the
 * answer found, not how many of its chunks were.
 */
export function recallAt(firstRanks: (number | null)[], k: number): number {
  if (firstRanks.length === 0) return 0;
  return firstRanks.filter((rank) => rank !== null && rank <= k).length / firstRanks.length;
}

/** 1 / rank of the first relevant chunk, 0 when there is none within `cutoff`. */
export function reciprocalRank(firstRank: number | null, cutoff: number): number {
  return firstRank !== null && firstRank <= cutoff ? 1 / firstRank : 0;
}

function discountedGain(ranks: Iterable<number>): number {
  let sum = 0;
  for (const rank of ranks) sum += 1 / Math.log2(rank + 1);
  return sum;
}

/**
 * Binary nDCG at `cutoff`. The ideal ranking puts every relevant chunk of the index first, so the
 * ideal DCG counts `min(relevantInIndex, cutoff)` hits: finding one of four relevant chunks scores
 * less than finding all four. A question whose label matches nothing in the index scores 0.
 */
export function ndcgAt(ranks: number[], relevantInIndex: number, cutoff: number): number {
  const found = ranks.filter((rank) => rank <= cutoff);
  // Never more relevant in the list than in the index; guards a caller's inconsistent counts.
  const ideal = Math.min(Math.max(relevantInIndex, found.length), cutoff);
  if (ideal === 0) return 0;
  return discountedGain(found) / discountedGain(Array.from({ length: ideal }, (_, i) => i + 1));
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : 0;
}

/** The middle value, or the mean of the two middle ones; 0 for no values. */
export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (`p` from 0 to 100); 0 for no values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

/** `numerator / denominator`, or null when there is nothing to divide by (shown as a dash). */
export function share(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

export interface AbstentionCounts {
  offTopic: number;
  offTopicAbstained: number;
  answerable: number;
  answerableAbstained: number;
}

export interface AbstentionFigures {
  /** Share of off-topic questions that abstained. */
  recall: number | null;
  /** Share of answerable questions that abstained. */
  falseAbstentionRate: number | null;
  /** Share of abstentions that were on off-topic questions. */
  precision: number | null;
}

export function abstentionFigures(counts: AbstentionCounts): AbstentionFigures {
  return {
    recall: share(counts.offTopicAbstained, counts.offTopic),
    falseAbstentionRate: share(counts.answerableAbstained, counts.answerable),
    precision: share(counts.offTopicAbstained, counts.offTopicAbstained + counts.answerableAbstained),
  };
}
