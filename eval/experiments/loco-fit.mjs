// The leave-one-corpus-out fit the pre-registered experiments share: of a grid scored on every
// corpus, the point with the largest sum of Recall@5 and MRR@10 over the corpora it is fitted on.

/**
 * Index of the best grid point on `corpora`. `results[corpus][i]` holds point i's `{ r5, mrr }`.
 * Ties go to the earlier point, so the grid's first point (today's behaviour) wins a tie.
 */
export function fitOn(results, corpora, points) {
  let best = 0;
  let bestScore = -Infinity;
  for (let i = 0; i < points; i++) {
    const score = corpora.reduce((s, c) => s + results[c][i].r5 + results[c][i].mrr, 0);
    if (score > bestScore + 1e-9) [best, bestScore] = [i, score];
  }
  return best;
}
