import type { QuantizedVectors } from '../store/quantized-vectors.js';
import { bestRows } from './vector-search.js';

/**
 * The int8 scan as it ran in plain JavaScript before the WebAssembly kernel (float32 query × int8
 * row, a closure per row): the reference the kernel's tests compare against, and the baseline of
 * `tools/bench-scan.ts`. The server does not use it.
 */
export function referenceSearch(vectors: QuantizedVectors, query: Float32Array, limit: number, accept?: (row: number) => boolean, rows?: Uint32Array): { row: number; score: number }[] {
  const score = rowScorer(vectors, query);
  if (rows) return bestRows(rows.length, limit, undefined, (i) => score(rows[i]!)).map(({ row: i, score: s }) => ({ row: rows[i]!, score: s }));
  return bestRows(vectors.rows, limit, accept, score);
}

/** The approximate cosine of every row (or of each of `rows`), in float64. */
export function referenceScores(vectors: QuantizedVectors, query: Float32Array, rows?: Uint32Array): Float64Array {
  const list = rows ?? Uint32Array.from({ length: vectors.rows }, (_, row) => row);
  return Float64Array.from(list, rowScorer(vectors, query));
}

/** A row's approximate cosine, by row number: where the rows are held in another order (see arrangeRows), at its position. */
function rowScorer(vectors: QuantizedVectors, query: Float32Array): (row: number) => number {
  const { codes, scales, dimensions, order } = vectors;
  const at = new Uint32Array(vectors.rows);
  for (let position = 0; position < vectors.rows; position++) at[order ? order[position]! : position] = position;
  return (row) => dotInt8(codes, at[row]! * dimensions, query) * scales[at[row]!]!;
}

/** Four lanes at a time, as V8 keeps four sums in registers. */
function dotInt8(codes: Int8Array, base: number, query: Float32Array): number {
  const length = query.length;
  let a = 0;
  let b = 0;
  let c = 0;
  let e = 0;
  let d = 0;
  for (; d + 3 < length; d += 4) {
    a += codes[base + d]! * query[d]!;
    b += codes[base + d + 1]! * query[d + 1]!;
    c += codes[base + d + 2]! * query[d + 2]!;
    e += codes[base + d + 3]! * query[d + 3]!;
  }
  for (; d < length; d++) a += codes[base + d]! * query[d]!;
  return a + b + c + e;
}
