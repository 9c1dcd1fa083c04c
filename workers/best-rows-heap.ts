/**
 * The heap both top-k selections share (the int8 scan's `topScores` and BM25's `best`): the best
 * (score, row) pairs so far in two typed arrays, worst at the root, so a row that does not beat
 * the root costs one comparison and no object is made per row. Ties rank the lower row higher.
 */

/** Whether (scoreA, rowA) ranks below (scoreB, rowB): lower score, or the same score at a higher row. */
export function worse(scoreA: number, rowA: number, scoreB: number, rowB: number): boolean {
  return scoreA < scoreB || (scoreA === scoreB && rowA > rowB);
}

/** Place (score, row) at slot `at` (the heap's new last) and move it up past better parents. */
export function siftUp(scores: Float64Array, rows: Int32Array, at: number, score: number, row: number): void {
  while (at > 0) {
    const parent = (at - 1) >> 1;
    if (!worse(score, row, scores[parent]!, rows[parent]!)) break;
    scores[at] = scores[parent]!;
    rows[at] = rows[parent]!;
    at = parent;
  }
  scores[at] = score;
  rows[at] = row;
}

/** Replace the root (the worst kept) with (score, row) and move it down past worse children. */
export function siftDown(scores: Float64Array, rows: Int32Array, size: number, score: number, row: number): void {
  let at = 0;
  for (;;) {
    let child = 2 * at + 1;
    if (child >= size) break;
    if (child + 1 < size && worse(scores[child + 1]!, rows[child + 1]!, scores[child]!, rows[child]!)) child++;
    if (!worse(scores[child]!, rows[child]!, score, row)) break;
    scores[at] = scores[child]!;
    rows[at] = rows[child]!;
    at = child;
  }
  scores[at] = score;
  rows[at] = row;
}

/** The `filled` pairs kept, best first. */
export function sortedBest(scores: Float64Array, rows: Int32Array, filled: number): { row: number; score: number }[] {
  const best = Array.from({ length: filled }, (_, i) => ({ row: rows[i]!, score: scores[i]! }));
  return best.sort((a, b) => b.score - a.score || a.row - b.row);
}
