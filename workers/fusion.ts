/** One ranked list from one retriever: row numbers, best first. */
export interface RankedList {
  name: 'vector' | 'lexical';
  weight: number;
  hits: { row: number; score: number }[];
}

export interface FusedHit {
  row: number;
  score: number;
  vector?: { rank: number; score: number };
  lexical?: { rank: number; score: number };
}

/** Reciprocal rank fusion constant; 60 is the value from the original RRF study. */
export const DEFAULT_RRF_K = 60;

/** Plain RRF with equal weights over the top 50 of each side: the worker's default fusion. */
export const DEFAULT_FUSION = { k: DEFAULT_RRF_K, vectorWeight: 1, lexicalWeight: 1, depth: 50 };

/**
 * Weighted reciprocal rank fusion: each list adds weight / (k + rank). Ranks, not scores, so
 * cosines and BM25 scores need no common scale. Ties keep the better vector rank first.
 */
export function reciprocalRankFusion(lists: RankedList[], k = DEFAULT_RRF_K): FusedHit[] {
  const byRow = new Map<number, FusedHit>();
  for (const list of lists) {
    list.hits.forEach((hit, index) => {
      const rank = index + 1;
      const fused = byRow.get(hit.row) ?? { row: hit.row, score: 0 };
      fused.score += list.weight / (k + rank);
      fused[list.name] = { rank, score: hit.score };
      byRow.set(hit.row, fused);
    });
  }
  return [...byRow.values()].sort(
    (a, b) => b.score - a.score || (a.vector?.rank ?? Infinity) - (b.vector?.rank ?? Infinity) || a.row - b.row,
  );
}
