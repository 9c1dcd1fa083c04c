import type { QuantizedVectors } from '../store/quantized-vectors.js';
import { INT8_SCAN_WASM } from './int8-scan-module.js';
import { siftDown, siftUp, sortedBest } from './best-rows-heap.js';

/**
 * The largest magnitude a query component is scaled to as int16. An int8 × int16 product is then
 * below 2^21 and each of the kernel's four int32 lanes adds at most dimensions / 4 pairs of them:
 * no overflow up to 1024 dimensions. The rounding (one part in 32,766 of the largest component)
 * is far below the rows' own int8 rounding.
 */
const QUERY_LIMIT = 16_383;
/** The widest query the int16 sums are safe for (see QUERY_LIMIT). */
export const MAX_SCAN_DIMENSIONS = 1024;

interface KernelExports {
  scanAll(codes: number, scales: number, rows: number, dimensions: number, query: number, queryScale: number, out: number): void;
}

/** Compiled once per thread; instantiated once per loaded index, on the memory its codes were loaded into. */
const kernel = new WebAssembly.Module(Buffer.from(INT8_SCAN_WASM, 'base64'));
const scans = new WeakMap<QuantizedVectors, Int8Scan>();

/**
 * The int8 scan of one loaded index (see workers/int8-scan.wat): the question quantised once to
 * int16, then every row's (or every listed row's) approximate cosine computed with WebAssembly SIMD
 * into a float32 score per row, in the index's own memory. Scores are valid until the next scan.
 */
export class Int8Scan {
  private readonly kernel: KernelExports;
  private readonly query: Int16Array;
  private readonly scores: Float32Array;
  private readonly list: Uint32Array;

  private constructor(private readonly vectors: QuantizedVectors) {
    const { memory, workspace, rows, dimensions } = vectors;
    if (dimensions > MAX_SCAN_DIMENSIONS) throw new RangeError(`The int8 scan takes at most ${MAX_SCAN_DIMENSIONS} dimensions, not ${dimensions}`);
    this.kernel = new WebAssembly.Instance(kernel, { env: { memory } }).exports as unknown as KernelExports;
    this.query = new Int16Array(memory.buffer, workspace, dimensions);
    const scoresAt = workspace + Math.ceil((dimensions * 2) / 16) * 16;
    this.scores = new Float32Array(memory.buffer, scoresAt, rows);
    this.list = new Uint32Array(memory.buffer, scoresAt + rows * 4, rows);
  }

  /** The scan of `vectors`, made on first use. */
  static of(vectors: QuantizedVectors): Int8Scan {
    let scan = scans.get(vectors);
    if (!scan) {
      scan = new Int8Scan(vectors);
      scans.set(vectors, scan);
    }
    return scan;
  }

  /** The score of every row, row by row (a view of the workspace: read it before the next scan). */
  scoreAll(query: Float32Array): Float32Array {
    const { codes, scales, rows, dimensions } = this.vectors;
    const queryScale = this.setQuery(query);
    this.kernel.scanAll(codes.byteOffset, scales.byteOffset, rows, dimensions, this.query.byteOffset, queryScale, this.scores.byteOffset);
    return this.scores;
  }

  /** Room for up to `count` row numbers (an IVF search's rows by position), reused by every search (no allocation). */
  rowSpace(count: number): Uint32Array {
    return this.list.subarray(0, count);
  }

  /**
   * The scores of the rows at positions [starts[i], ends[i]) of each range, one range after the
   * other (rows held in list order, see arrangeRows): each range one forward pass of the kernel.
   */
  scoreRanges(query: Float32Array, starts: readonly number[], ends: readonly number[]): Float32Array {
    const { codes, scales, dimensions } = this.vectors;
    const queryScale = this.setQuery(query);
    let at = 0;
    for (let i = 0; i < starts.length; i++) {
      const count = ends[i]! - starts[i]!;
      this.kernel.scanAll(codes.byteOffset + starts[i]! * dimensions, scales.byteOffset + starts[i]! * 4, count, dimensions, this.query.byteOffset, queryScale, this.scores.byteOffset + at * 4);
      at += count;
    }
    return this.scores.subarray(0, at);
  }

  /** The query into the workspace as int16 (largest magnitude ↦ QUERY_LIMIT); returns its scale. */
  private setQuery(query: Float32Array): number {
    let largest = 0;
    for (let d = 0; d < query.length; d++) largest = Math.max(largest, Math.abs(query[d]!));
    const scale = largest / QUERY_LIMIT || 1;
    for (let d = 0; d < query.length; d++) this.query[d] = Math.round(query[d]! / scale);
    return scale;
  }
}

/**
 * The `limit` accepted positions of highest score, best first, ties in position order (as
 * bestRows): one pass over a typed array with a heap of the best so far in two typed arrays, its
 * worst at the root, so no object per row; `accept` is asked only of positions that would enter.
 * Positions arrive in increasing order, so a newcomer tied with the worst kept one ranks after it
 * and does not enter.
 */
export function topScores(scores: Float32Array, limit: number, accept?: (row: number) => boolean): { row: number; score: number }[] {
  const size = Math.min(limit, scores.length);
  if (size <= 0) return [];
  const heapScores = new Float64Array(size);
  const heapRows = new Int32Array(size);
  let filled = 0;
  let floor = -Infinity;
  const count = scores.length;
  for (let row = 0; row < count; row++) {
    const score = scores[row]!;
    if (!(score > floor)) continue;
    if (accept !== undefined && !accept(row)) continue;
    if (filled < size) {
      siftUp(heapScores, heapRows, filled++, score, row);
      if (filled === size) floor = heapScores[0]!;
    } else {
      siftDown(heapScores, heapRows, size, score, row);
      floor = heapScores[0]!;
    }
  }
  return sortedBest(heapScores, heapRows, filled);
}
