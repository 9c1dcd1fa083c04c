import type { QuantizedVectors } from '../store/quantized-vectors.js';
import { bestRows } from './vector-search.js';

/**
 * The int8 scan as it ran in plain JavaScript before the WebAssembly kernel (float32 query × int8
 * row, a closure per row): the reference the kernel's tests compare against, and the baseline of
 * `tools/bench-scan.ts`. The server does not use it.
 */
export function referenceSearch(vectors: QuantizedVectors, query: Float32Array, limit: number, accept?: (row: number) => boolean, rows?: Uint32Array): { row: number; score: number }[] {
  const { codes, scales, dimensions } = vectors;
  if (rows) return bestRows(rows.length, limit, undefined, (i) => dotInt8(codes, rows[i]! * dimensions, query) * scales[rows[i]!]!).map(({ row: i, score }) => ({ row: rows[i]!, score }));
  return bestRows(vectors.rows, limit, accept, (row) => dotInt8(codes, row * dimensions, query) * scales[row]!);
}

/** The approximate cosine of every row (or of each of `rows`), in float64. */
export function referenceScores(vectors: QuantizedVectors, query: Float32Array, rows?: Uint32Array): Float64Array {
  const { codes, scales, dimensions } = vectors;
  const list = rows ?? Uint32Array.from({ length: vectors.rows }, (_, row) => row);
  return Float64Array.from(list, (row) => dotInt8(codes, row * dimensions, query) * scales[row]!);
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
