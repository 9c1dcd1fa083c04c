import type { FusionSettings } from './protocol.js';

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

/**
 * The worker's default: 0.7 × BM25 (scaled by the query's best) + 0.3 × cosine, over the top 50 of
 * each side. Chosen with `npm run eval` on both labelled sets (README, "Retrieval quality"): with
 * our keyword search it was the only setting tried that beat keyword-only and vector-only on both.
 */
export const DEFAULT_FUSION: FusionSettings = { method: 'weighted', k: DEFAULT_RRF_K, vectorWeight: 0.3, lexicalWeight: 0.7, depth: 50 };

/** Fuse the lists as `settings` say. */
export function fuse(lists: RankedList[], settings: FusionSettings): FusedHit[] {
  return settings.method === 'rrf' ? reciprocalRankFusion(lists, settings.k) : weightedScoreFusion(lists);
}

/**
 * Weighted sum of scores: BM25 divided by the list's best score (BM25 has no fixed scale), cosine
 * as it is (already on [-1, 1]). A row missing from a list gets nothing from it. Unlike RRF this
 * keeps how far ahead the best keyword match is, which matters when keyword search is the
 * stronger side.
 */
export function weightedScoreFusion(lists: RankedList[]): FusedHit[] {
  const byRow = new Map<number, FusedHit>();
  for (const list of lists) {
    const scale = list.name === 'lexical' ? Math.max(list.hits[0]?.score ?? 1, Number.EPSILON) : 1;
    list.hits.forEach((hit, index) => {
      const fused = byRow.get(hit.row) ?? { row: hit.row, score: 0 };
      fused.score += (list.weight * hit.score) / scale;
      fused[list.name] = { rank: index + 1, score: hit.score };
      byRow.set(hit.row, fused);
    });
  }
  return [...byRow.values()].sort((a, b) => b.score - a.score || (a.lexical?.rank ?? Infinity) - (b.lexical?.rank ?? Infinity) || a.row - b.row);
}

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
