import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FILES } from '../../store/index-layout.js';
import { buildIvf, type IvfIndex } from '../../store/ivf-index.js';
import { encodeQuantized, readQuantizedFile, type QuantizedVectors } from '../../store/quantized-vectors.js';
import { random } from '../../tools/bench/scale-corpus.js';
import { ivfSearch, probedLists, quantizedSearch, vectorSearch } from '../../workers/vector-search.js';
import { tempDir } from '../helpers/temp.js';

const DIMENSIONS = 128;
const REGIONS = 48;
const ROWS = 6_000;
const PROBES = 16;
const REACH = 0.22;

/** A unit vector: `base` plus gaussian-like noise of `spread`, normalised. */
function around(base: Float32Array | null, spread: number, next: () => number): Float32Array {
  const v = new Float32Array(DIMENSIONS);
  for (let d = 0; d < DIMENSIONS; d++) v[d] = (base ? base[d]! : 0) + spread * (next() + next() + next() - 1.5);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/**
 * Rows in regions of different sizes and spreads (as documents on related topics), and questions:
 * most near one region, some halfway between two.
 */
function clusteredSet(seed: number) {
  const next = random(seed);
  const centres = Array.from({ length: REGIONS }, () => around(null, 1, next));
  const vectors = new Float32Array(ROWS * DIMENSIONS);
  for (let row = 0; row < ROWS; row++) {
    const region = Math.floor(next() ** 2 * REGIONS);
    vectors.set(around(centres[region]!, 0.08 + 0.1 * (region % 4), next), row * DIMENSIONS);
  }
  const near = Array.from({ length: 40 }, () => around(centres[Math.floor(next() * REGIONS)]!, 0.12, next));
  const between = Array.from({ length: 20 }, () => {
    const a = centres[Math.floor(next() * REGIONS)]!;
    const b = centres[Math.floor(next() * REGIONS)]!;
    return around(a.map((x, d) => x + b[d]!), 0.12, next);
  });
  return { vectors, near, between };
}

describe('IVF probes within reach of the nearest centroid', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let quantized: QuantizedVectors;
  /** The same rows left in file order (a search arranges `quantized` in list order). */
  let plain: QuantizedVectors;
  let ivf: IvfIndex;
  let set: ReturnType<typeof clusteredSet>;
  const centroidScore = (list: number, query: Float32Array) => query.reduce((sum, x, d) => sum + x * ivf.centroids[list * DIMENSIONS + d]!, 0);

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    set = clusteredSet(23);
    await writeFile(path.join(dir, FILES.quantized), encodeQuantized(set.vectors, DIMENSIONS));
    quantized = await readQuantizedFile(dir, ROWS, DIMENSIONS);
    plain = await readQuantizedFile(dir, ROWS, DIMENSIONS);
    ivf = buildIvf(set.vectors, DIMENSIONS, 40);
  });
  afterAll(() => cleanup());

  it('probes the nearest lists: all `probes` without a reach; with one, at least an eighth of them and exactly those within reach of the nearest', () => {
    for (const query of [...set.near, ...set.between]) {
      const ranked = Array.from({ length: ivf.lists }, (_, list) => ({ list, score: centroidScore(list, query) })).sort((a, b) => b.score - a.score);
      const nearest = ranked.slice(0, PROBES);
      expect(probedLists(ivf, query, PROBES)).toEqual(nearest.map((n) => n.list).sort((a, b) => a - b));
      const within = probedLists(ivf, query, PROBES, REACH);
      expect(within).toEqual([...within].sort((a, b) => a - b));
      expect(within.length).toBeGreaterThanOrEqual(PROBES / 8);
      const floor = nearest[0]!.score - REACH;
      nearest.forEach(({ list, score }, rank) => {
        // Scores from two ways of summing may differ in the last bits: a list at the floor is left alone.
        if (Math.abs(score - floor) < 1e-5) return;
        expect(within.includes(list)).toBe(rank < PROBES / 8 || score > floor);
      });
    }
  });

  it('scans as many lists as a question needs: some few, some many, fewer than `probes` on average', () => {
    const counts = [...set.near, ...set.between].map((q) => probedLists(ivf, q, PROBES, REACH).length);
    expect(Math.min(...counts)).toBeLessThan(Math.max(...counts));
    expect(counts.reduce((a, b) => a + b, 0) / counts.length).toBeLessThan(PROBES / 2);
  });

  it('finds what a full scan finds among the probed lists', () => {
    for (const query of [...set.near.slice(0, 10), ...set.between.slice(0, 5)]) {
      const lists = probedLists(ivf, query, PROBES, REACH);
      const inProbed = new Set(lists.flatMap((list) => [...ivf.listRows.subarray(ivf.listStarts[list]!, ivf.listStarts[list + 1]!)]));
      const byRow = (hits: { row: number; score: number }[]) => [...hits].sort((a, b) => a.row - b.row);
      expect(byRow(ivfSearch(quantized, ivf, query, 20, PROBES, REACH))).toEqual(byRow(quantizedSearch(plain, query, 20, (row) => inProbed.has(row))));
    }
  });

  it('recalls the exact top 10 at least as well as a fixed count of lists scanning as many lists on average', () => {
    const queries = [...set.near, ...set.between];
    const truths = queries.map((q) => new Set(vectorSearch(set.vectors, DIMENSIONS, q, 10).map((hit) => hit.row)));
    const recall = (search: (q: Float32Array) => { row: number }[]) => queries.reduce((found, q, i) => found + search(q).filter((hit) => truths[i]!.has(hit.row)).length, 0) / (10 * queries.length);
    const meanLists = queries.reduce((sum, q) => sum + probedLists(ivf, q, PROBES, REACH).length, 0) / queries.length;
    const within = recall((q) => ivfSearch(quantized, ivf, q, 10, PROBES, REACH));
    const fixed = recall((q) => ivfSearch(quantized, ivf, q, 10, Math.round(meanLists)));
    expect(within).toBeGreaterThanOrEqual(fixed);
    expect(within).toBeGreaterThan(0.9);
  });
});
