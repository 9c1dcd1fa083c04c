import type { IvfIndex } from '../store/ivf-index.js';
import type { QuantizedVectors } from '../store/quantized-vectors.js';

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
 * Approximate cosine over int8 rows (see QuantizedVectors): the query stays float32, each row's
 * dot product is scaled by its own factor. Candidates for an exact rescoring, not final scores.
 */
export function quantizedSearch(vectors: QuantizedVectors, query: Float32Array, limit: number, accept?: (row: number) => boolean): { row: number; score: number }[] {
  const { codes, scales, dimensions, rows } = vectors;
  return bestRows(rows, limit, accept, (row) => dotInt8(codes, row * dimensions, query) * scales[row]!);
}

/**
 * The same approximate cosines over the rows of the `probes` lists whose centroids are nearest the
 * query only (see IvfIndex): a fraction of the corpus scanned, candidates for the exact rescoring.
 */
export function ivfSearch(vectors: QuantizedVectors, ivf: IvfIndex, query: Float32Array, limit: number, probes: number): { row: number; score: number }[] {
  const { dimensions } = vectors;
  const nearestLists = bestRows(ivf.lists, Math.min(probes, ivf.lists), undefined, (list) => dotFloat32(ivf.centroids, list * dimensions, query));
  const size = nearestLists.reduce((n, { row: list }) => n + ivf.listStarts[list + 1]! - ivf.listStarts[list]!, 0);
  const candidates = new Uint32Array(size);
  let at = 0;
  for (const { row: list } of nearestLists) {
    const rows = ivf.listRows.subarray(ivf.listStarts[list]!, ivf.listStarts[list + 1]!);
    candidates.set(rows, at);
    at += rows.length;
  }
  const { codes, scales } = vectors;
  return bestRows(candidates.length, limit, undefined, (i) => dotInt8(codes, candidates[i]! * dimensions, query) * scales[candidates[i]!]!).map(({ row: i, score }) => ({ row: candidates[i]!, score }));
}

/**
 * The dot product of the query with the row starting at `base`, four lanes at a time: V8 keeps the
 * four sums in registers and the scan, the hot loop of every search, ran about 1.5 times as fast as
 * with one sum. One function per array type, so each call site stays monomorphic. The lanes add up
 * in another order than one running sum, a difference in the last bits that the exact rescoring
 * does not see.
 */
function dotInt8(rows: Int8Array, base: number, query: Float32Array): number {
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

/** dotInt8 for float32 rows (exact vectors, IVF centroids): a copy on purpose, so each hot loop sees one array type and V8 keeps it monomorphic. */
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
