/**
 * BM25's best rows for a query's terms. At 250,000 chunks the search used to allocate a score per
 * chunk, divide once per posting for the chunk's length norm, then find the best through a callback
 * per chunk, whether or not the query touched it. Here the scores live in one array kept between
 * searches (only the rows touched are cleared), each row's length norm is worked out once, and the
 * best are picked among the rows touched only. The arithmetic is the same, term after term in the
 * query's order into a float32 score, so the hits and their scores are the same to the bit.
 *
 * Tried and left out: skipping common terms' postings once the best rows are out of their reach
 * (MaxScore, term at a time). With BM25's saturation bound, weight × idf × (k1 + 1), and questions of
 * several mid-frequency words (the usual case on the scale corpus) the bar was rarely passed before
 * the last term, and the bookkeeping made searches 2 to 5 times slower than the plain pass.
 */
import { siftDown, siftUp, sortedBest, worse } from './best-rows-heap.js';

export const K1 = 1.2;
export const B = 0.75;

/** One query term's postings (rows ascending) and how it counts. */
export interface TermPostings {
  rows: Uint32Array;
  /** Weighted term frequency of each posting. */
  tfs: Float32Array;
  /** 1 for a query word, less for a typo match. */
  weight: number;
  idf: number;
}

/** Postings a scratch keeps room for between searches (8 bytes each); a search needing more gets room of its own. */
export const KEPT_POSTINGS = 1 << 20;

/**
 * Work space of one index, kept between searches (one search runs at a time in the worker): each
 * row's BM25 length norm, a float32 score per row (zero outside a search), the rows touched, and
 * room for the query's postings.
 */
export class ScoringScratch {
  readonly norms: Float64Array;
  readonly scores: Float32Array;
  readonly touched: Uint32Array;
  private postingRows = new Uint32Array(0);
  private postingTfs = new Float32Array(0);
  constructor(lengths: Float32Array, averageLength: number) {
    this.norms = new Float64Array(lengths.length);
    for (let row = 0; row < lengths.length; row++) this.norms[row] = K1 * (1 - B + (B * lengths[row]!) / averageLength);
    this.scores = new Float32Array(lengths.length);
    this.touched = new Uint32Array(lengths.length);
  }

  /**
   * Room for `count` postings (rows and tfs), valid until the next call: grown to the largest
   * search seen up to KEPT_POSTINGS, so the usual search allocates nothing.
   */
  postingSpace(count: number): { rows: Uint32Array; tfs: Float32Array } {
    if (count > KEPT_POSTINGS) return { rows: new Uint32Array(count), tfs: new Float32Array(count) };
    if (count > this.postingRows.length) {
      const size = Math.min(KEPT_POSTINGS, Math.max(count, 2 * this.postingRows.length));
      this.postingRows = new Uint32Array(size);
      this.postingTfs = new Float32Array(size);
    }
    return { rows: this.postingRows.subarray(0, count), tfs: this.postingTfs.subarray(0, count) };
  }
}

/**
 * The `limit` accepted rows of highest BM25 score over `terms` (in the query's order: the order the
 * scores add up in), best first, ties to the lower row; rows holding no term are never hits.
 */
export function bestScoredRows(terms: readonly TermPostings[], limit: number, accept: ((row: number) => boolean) | undefined, scratch: ScoringScratch): { row: number; score: number }[] {
  if (limit <= 0 || terms.length === 0) return [];
  const { norms, scores, touched } = scratch;
  let count = 0;
  try {
    for (const term of terms) {
      const { rows, tfs } = term;
      const factor = term.weight * term.idf;
      for (let p = 0; p < rows.length; p++) {
        const row = rows[p]!;
        // Every contribution is positive: a zero score is a row not touched yet.
        if (scores[row] === 0) touched[count++] = row;
        const tf = tfs[p]!;
        scores[row]! += factor * ((tf * (K1 + 1)) / (tf + norms[row]!));
      }
    }
    return best(scores, touched.subarray(0, count), limit, accept);
  } finally {
    for (let i = 0; i < count; i++) scores[touched[i]!] = 0;
  }
}

/**
 * The best `limit` of `rows` (touched rows, in no order) by score, then lower row: one pass with a
 * heap of the best so far in two small typed arrays, its worst at the root, so a row that does not
 * beat the root costs one comparison (at 250,000 chunks a search touches some 50,000 rows; the heap is best-rows-heap.ts).
 * The PostgreSQL store picks its keyword hits with it too.
 */
export function best(scores: Float32Array, rows: Uint32Array, limit: number, accept: ((row: number) => boolean) | undefined): { row: number; score: number }[] {
  const size = Math.min(limit, rows.length);
  const heapScores = new Float64Array(size);
  const heapRows = new Int32Array(size);
  let filled = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const score = scores[row]!;
    if (filled === size && worse(score, row, heapScores[0]!, heapRows[0]!)) continue;
    if (accept !== undefined && !accept(row)) continue;
    if (filled < size) siftUp(heapScores, heapRows, filled++, score, row);
    else siftDown(heapScores, heapRows, size, score, row);
  }
  return sortedBest(heapScores, heapRows, filled);
}
