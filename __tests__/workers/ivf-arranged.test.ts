import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FILES } from '../../store/index-layout.js';
import { buildIvf, type IvfIndex } from '../../store/ivf-index.js';
import { arrangeRows, encodeQuantized, readQuantizedFile, type QuantizedVectors } from '../../store/quantized-vectors.js';
import { ivfSearch, quantizedSearch } from '../../workers/vector-search.js';
import { tempDir } from '../helpers/temp.js';
import { unitVectors } from '../helpers/unit-vectors.js';

const sorted = (hits: { row: number; score: number }[]) => [...hits].sort((a, b) => a.row - b.row);

describe('int8 rows held in IVF list order', () => {
  const ROWS = 3_000;
  const DIMENSIONS = 384;
  let dir: string;
  let cleanup: () => Promise<void>;
  let plain: QuantizedVectors;
  let arranged: QuantizedVectors;
  let ivf: IvfIndex;
  const queries = unitVectors(8, DIMENSIONS, 99);
  const query = (i: number) => queries.subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS);

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    const vectors = unitVectors(ROWS, DIMENSIONS, 7);
    await writeFile(path.join(dir, FILES.quantized), encodeQuantized(vectors, DIMENSIONS));
    plain = await readQuantizedFile(dir, ROWS, DIMENSIONS);
    arranged = await readQuantizedFile(dir, ROWS, DIMENSIONS);
    ivf = buildIvf(vectors, DIMENSIONS, 12);
    arrangeRows(arranged, ivf.listRows);
  });
  afterAll(() => cleanup());

  it('moves every row, codes and scale, to its list position, in place', () => {
    expect(arranged.order).toBe(ivf.listRows);
    const codes = new Int8Array(ROWS * DIMENSIONS);
    const scales = new Float32Array(ROWS);
    ivf.listRows.forEach((row, at) => {
      codes.set(plain.codes.subarray(row * DIMENSIONS, (row + 1) * DIMENSIONS), at * DIMENSIONS);
      scales[at] = plain.scales[row]!;
    });
    expect(Buffer.compare(Buffer.from(arranged.codes.buffer, arranged.codes.byteOffset, arranged.codes.byteLength), Buffer.from(codes.buffer))).toBe(0);
    expect(Array.from(arranged.scales)).toEqual(Array.from(scales));
    // Not the identity: the test would prove nothing if the lists happened to be in row order.
    expect(ivf.listRows.some((row, at) => row !== at)).toBe(true);
  });

  it('gives the same full scan, filtered or not, with rows (not positions) in the results', () => {
    const even = (row: number) => row % 2 === 0;
    for (let i = 0; i < 8; i++) {
      expect(sorted(quantizedSearch(arranged, query(i), 42))).toEqual(sorted(quantizedSearch(plain, query(i), 42)));
      const filtered = quantizedSearch(arranged, query(i), 20, even);
      expect(filtered.every((hit) => even(hit.row))).toBe(true);
      expect(sorted(filtered)).toEqual(sorted(quantizedSearch(plain, query(i), 20, even)));
    }
  });

  it('finds, from the probed lists as blocks, what a full scan of the file-order rows finds among those lists; all lists: the full scan', () => {
    for (let i = 0; i < 8; i++) {
      const q = query(i);
      // The 3 lists whose centroids are nearest the question, worked out here from the centroids.
      const nearest = Array.from({ length: ivf.lists }, (_, list) => ({ list, dot: ivf.centroids.subarray(list * DIMENSIONS, (list + 1) * DIMENSIONS).reduce((sum, v, d) => sum + v * q[d]!, 0) }))
        .sort((a, b) => b.dot - a.dot)
        .slice(0, 3);
      const inProbed = new Set(nearest.flatMap(({ list }) => Array.from(ivf.listRows.subarray(ivf.listStarts[list]!, ivf.listStarts[list + 1]!))));
      expect(sorted(ivfSearch(arranged, ivf, q, 42, 3))).toEqual(sorted(quantizedSearch(plain, q, 42, (row) => inProbed.has(row))));
      expect(sorted(ivfSearch(arranged, ivf, q, 42, ivf.lists))).toEqual(sorted(quantizedSearch(plain, q, 42)));
    }
  });

  it('arranges rows held in file order on a first IVF search, and refuses to arrange them twice', async () => {
    const other = await readQuantizedFile(dir, ROWS, DIMENSIONS);
    expect(sorted(ivfSearch(other, ivf, query(0), 42, 3))).toEqual(sorted(ivfSearch(arranged, ivf, query(0), 42, 3)));
    expect(other.order).toBe(ivf.listRows);
    expect(() => arrangeRows(other, ivf.listRows)).toThrow(RangeError);
  });

  it('refuses an order of another length', async () => {
    const other = await readQuantizedFile(dir, ROWS, DIMENSIONS);
    expect(() => arrangeRows(other, ivf.listRows.subarray(1))).toThrow(RangeError);
  });
});
