import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { IndexCorruptError } from './errors.js';
import { FILES } from './index-layout.js';

/**
 * An inverted-file (IVF) index over a generation's vectors: k-means centroids, and the rows of each
 * centroid's list. A search scores the centroids, scans the rows of the nearest lists only, and the
 * reader rescores its best candidates exactly as for a full scan. Built at prebuild time for
 * indexes of IVF_MIN_ROWS chunks or more; smaller indexes keep the exact scan and have no such file.
 *
 * File layout (ivf.bin), little-endian: uint32 lists, uint32 dimensions, uint32 rows; the centroids
 * (float32, lists × dimensions, unit length); the first position of each list in the row table
 * (uint32, lists + 1); the row table (uint32, rows, grouped by list, ascending within a list).
 */
export interface IvfIndex {
  lists: number;
  dimensions: number;
  centroids: Float32Array;
  listStarts: Uint32Array;
  listRows: Uint32Array;
}

/** From this many chunks a generation gets an IVF index; below, the exact scan is fast enough and unchanged. */
export const IVF_MIN_ROWS = 20_000;
/** k-means rounds over the training sample. */
const ROUNDS = 8;
/** Training rows per list: more makes better centroids and a slower build. */
const SAMPLE_PER_LIST = 48;
const WORD = 4;

/** How many lists for `rows` vectors: about half the square root, so a list holds some hundreds to a few thousand rows. */
export function listCount(rows: number): number {
  return Math.max(1, Math.round(Math.sqrt(rows) / 2));
}

/**
 * k-means (spherical: centroids kept at unit length, nearest by dot product) on a deterministic
 * sample of the rows, then every row assigned to its nearest centroid. `vectors` holds unit rows.
 */
export function buildIvf(vectors: Float32Array, dimensions: number, lists = listCount(vectors.length / dimensions)): IvfIndex {
  const rows = vectors.length / dimensions;
  const sample = sampleRows(rows, Math.min(rows, lists * SAMPLE_PER_LIST));
  const centroids = new Float32Array(lists * dimensions);
  // Start from evenly spaced sample rows: deterministic, and spread over the corpus's order.
  for (let c = 0; c < lists; c++) {
    const row = sample[Math.floor((c * sample.length) / lists)]!;
    centroids.set(vectors.subarray(row * dimensions, (row + 1) * dimensions), c * dimensions);
  }
  const assigned = new Uint32Array(sample.length);
  for (let round = 0; round < ROUNDS; round++) {
    sample.forEach((row, i) => (assigned[i] = nearestCentroid(vectors, row, centroids, lists, dimensions)));
    const sums = new Float64Array(lists * dimensions);
    const counts = new Uint32Array(lists);
    sample.forEach((row, i) => {
      const c = assigned[i]!;
      counts[c]!++;
      for (let d = 0; d < dimensions; d++) sums[c * dimensions + d]! += vectors[row * dimensions + d]!;
    });
    for (let c = 0; c < lists; c++) {
      // An empty list keeps its centroid: it may win rows in the full assignment.
      if (!counts[c]) continue;
      let norm = 0;
      for (let d = 0; d < dimensions; d++) norm += sums[c * dimensions + d]! ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let d = 0; d < dimensions; d++) centroids[c * dimensions + d] = sums[c * dimensions + d]! / norm;
    }
  }
  const listOf = new Uint32Array(rows);
  const sizes = new Uint32Array(lists);
  for (let row = 0; row < rows; row++) sizes[(listOf[row] = nearestCentroid(vectors, row, centroids, lists, dimensions))]!++;
  const listStarts = new Uint32Array(lists + 1);
  for (let c = 0; c < lists; c++) listStarts[c + 1] = listStarts[c]! + sizes[c]!;
  const filled = listStarts.slice(0, lists);
  const listRows = new Uint32Array(rows);
  for (let row = 0; row < rows; row++) listRows[filled[listOf[row]!]!++] = row;
  return { lists, dimensions, centroids, listStarts, listRows };
}

/** The file's bytes. */
export function encodeIvf(ivf: IvfIndex): Uint8Array {
  const header = new Uint32Array([ivf.lists, ivf.dimensions, ivf.listRows.length]);
  const parts = [header, ivf.centroids, ivf.listStarts, ivf.listRows].map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength));
  return Buffer.concat(parts);
}

/** Read and check ivf.bin against the generation's row count, dimensions and checksum. */
export async function readIvf(dir: string, rows: number, dimensions: number, sha256?: string): Promise<IvfIndex> {
  const bytes = await readFile(path.join(dir, FILES.ivf)).catch((cause: unknown) => {
    throw new IndexCorruptError(dir, `${FILES.ivf} is missing`, { cause });
  });
  if (sha256 && createHash('sha256').update(bytes).digest('hex') !== sha256) {
    throw new IndexCorruptError(dir, `${FILES.ivf} does not match the checksum in its manifest (changed or truncated after the build, ${bytes.byteLength} bytes): rebuild the index`);
  }
  // Copied into aligned arrays we own (a Buffer from readFile may sit at any offset).
  const words = new Uint32Array(Math.floor(bytes.byteLength / WORD));
  new Uint8Array(words.buffer).set(bytes.subarray(0, words.length * WORD));
  const [lists = 0, dims = 0, count = 0] = words;
  const expected = (3 + lists * dims + lists + 1 + count) * WORD;
  if (dims !== dimensions || count !== rows || bytes.byteLength !== expected) {
    throw new IndexCorruptError(dir, `${FILES.ivf} is for ${count} rows of ${dims} dimensions (${bytes.byteLength} bytes), expected ${rows} of ${dimensions}`);
  }
  const centroids = new Float32Array(words.buffer, 3 * WORD, lists * dims);
  const listStarts = words.subarray(3 + lists * dims, 3 + lists * dims + lists + 1);
  const listRows = words.subarray(3 + lists * dims + lists + 1);
  return { lists, dimensions, centroids, listStarts, listRows };
}

function nearestCentroid(vectors: Float32Array, row: number, centroids: Float32Array, lists: number, dimensions: number): number {
  let best = 0;
  let bestScore = -Infinity;
  const base = row * dimensions;
  for (let c = 0; c < lists; c++) {
    let dot = 0;
    const at = c * dimensions;
    for (let d = 0; d < dimensions; d++) dot += vectors[base + d]! * centroids[at + d]!;
    if (dot > bestScore) {
      bestScore = dot;
      best = c;
    }
  }
  return best;
}

/** `count` rows spread evenly over `rows` (deterministic: the same vectors give the same index). */
function sampleRows(rows: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.floor((i * rows) / count));
}
