import type { IvfIndex } from '../store/ivf-index.js';
import { arrangeRows, type QuantizedVectors } from '../store/quantized-vectors.js';
import { Int8Scan, topScores } from './int8-scan.js';

/**
 * Exact cosine search over unit-length rows packed in one Float32Array. At the sizes this service
 * is for (up to tens of thousands of chunks) a linear scan is fast and costs no extra memory.
 */
export function vectorSearch(
  vectors: Float32Array,
  dimensions: number,
  query: Float32Array,
  limit: number,
  accept?: (row: number) => boolean,
): { row: number; score: number }[] {
  return bestRows(vectors.length / dimensions, limit, accept, (row) => dotFloat32(vectors, row * dimensions, query));
}

/**
 * Approximate cosine over int8 rows (see QuantizedVectors), scored by the WebAssembly SIMD kernel
 * (see Int8Scan): candidates for an exact rescoring, not final scores.
 */
export function quantizedSearch(vectors: QuantizedVectors, query: Float32Array, limit: number, accept?: (row: number) => boolean): { row: number; score: number }[] {
  const { order } = vectors;
  const scores = Int8Scan.of(vectors).scoreAll(query);
  if (!order) return topScores(scores, limit, accept);
  // Rows held in list order: the scan's positions are mapped to rows, for the filter and the result.
  return topScores(scores, limit, accept ? (at) => accept(order[at]!) : undefined).map(({ row: at, score }) => ({ row: order[at]!, score }));
}

/**
 * How far below the nearest centroid's cosine a list's centroid may be and still be probed, when a
 * search asks for it (see probedLists). Measured at 250,610 chunks (250 lists, static model, 200
 * questions, recall@10 of the rescored top 10 against exact search): 64 fixed probes scanned 79,759
 * rows a search for 0.9500; up to 64 within 0.22 of the nearest, 65,451 rows for the same 0.9500;
 * within 0.2, 61,253 rows for 0.9475; within 0.3, 76,010 for 0.9500.
 */
export const DEFAULT_PROBE_REACH = 0.22;

/**
 * The same approximate cosines over the rows of the lists probedLists picks only (see IvfIndex): a
 * fraction of the corpus scanned, candidates for the exact rescoring. Ties: lower row first, as the
 * full scan.
 */
export function ivfSearch(vectors: QuantizedVectors, ivf: IvfIndex, query: Float32Array, limit: number, probes: number, reach?: number): { row: number; score: number }[] {
  // Each list one block of rows, scanned forwards (readIndex arranges them at load; done here for any other caller).
  if (vectors.order !== ivf.listRows) arrangeRows(vectors, ivf.listRows);
  const lists = probedLists(ivf, query, probes, reach);
  const starts = lists.map((list) => ivf.listStarts[list]!);
  const ends = lists.map((list) => ivf.listStarts[list + 1]!);
  const scan = Int8Scan.of(vectors);
  const scores = scan.scoreRanges(query, starts, ends);
  const rowAt = scan.rowSpace(scores.length);
  let filled = 0;
  for (let i = 0; i < lists.length; i++) {
    rowAt.set(ivf.listRows.subarray(starts[i]!, ends[i]!), filled);
    filled += ends[i]! - starts[i]!;
  }
  return topScores(scores, limit).map(({ row: i, score }) => ({ row: rowAt[i]!, score }));
}

/**
 * The lists a search scans, in list number order (so ties fall in position order as in a full
 * scan): the `probes` whose centroids are nearest the query; with `reach`, `probes` is a most and a
 * list further than `reach` below the nearest centroid's cosine is left out once an eighth of
 * `probes` are in: a question whose nearest centroids score alike (a region of the corpus split over
 * several lists) gets them all, one with a clear nearest region few.
 */
export function probedLists(ivf: IvfIndex, query: Float32Array, probes: number, reach?: number): number[] {
  const nearest = bestRows(ivf.lists, Math.min(probes, ivf.lists), undefined, (list) => dotFloat32(ivf.centroids, list * ivf.dimensions, query));
  let kept = nearest.length;
  if (reach !== undefined && kept > 0) {
    const floor = nearest[0]!.score - reach;
    kept = Math.max(1, Math.ceil(nearest.length / 8));
    while (kept < nearest.length && nearest[kept]!.score >= floor) kept++;
  }
  return nearest.slice(0, kept).map(({ row: list }) => list).sort((a, b) => a - b);
}

/**
 * The dot product of the query with the float32 row starting at `base` (exact vectors, IVF
 * centroids), four lanes at a time: V8 keeps the four sums in registers, about 1.5 times as fast as
 * one sum. The lanes add up in another order than one running sum, a difference in the last bits.
 */
function dotFloat32(rows: Float32Array, base: number, query: Float32Array): number {
  const length = query.length;
  let a = 0;
  let b = 0;
  let c = 0;
  let e = 0;
  let d = 0;
  for (; d + 3 < length; d += 4) {
    a += rows[base + d]! * query[d]!;
    b += rows[base + d + 1]! * query[d + 1]!;
    c += rows[base + d + 2]! * query[d + 2]!;
    e += rows[base + d + 3]! * query[d + 3]!;
  }
  for (; d < length; d++) a += rows[base + d]! * query[d]!;
  return a + b + c + e;
}

/** The `limit` accepted rows of highest score, best first, in one pass keeping a sorted list of that length. */
export function bestRows(rows: number, limit: number, accept: ((row: number) => boolean) | undefined, scoreOf: (row: number) => number): { row: number; score: number }[] {
  const best: { row: number; score: number }[] = [];
  for (let row = 0; row < rows; row++) {
    if (accept && !accept(row)) continue;
    const score = scoreOf(row);
    if (best.length < limit) {
      best.push({ row, score });
      if (best.length === limit) best.sort((a, b) => b.score - a.score);
    } else if (score > best[limit - 1]!.score) {
      insertSorted(best, { row, score });
    }
  }
  return best.sort((a, b) => b.score - a.score);
}

/** Keep a full, descending list of fixed length: drop the last, place the newcomer. */
function insertSorted(best: { row: number; score: number }[], hit: { row: number; score: number }): void {
  best.pop();
  let i = best.length;
  while (i > 0 && best[i - 1]!.score < hit.score) i--;
  best.splice(i, 0, hit);
}
