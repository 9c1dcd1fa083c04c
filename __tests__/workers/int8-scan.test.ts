import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseQuestions } from '../../evaluation/questions.js';
import { prebuild } from '../../indexing/prebuild.js';
import { readIndex } from '../../store/index-files.js';
import { FILES } from '../../store/index-layout.js';
import { buildIvf } from '../../store/ivf-index.js';
import { encodeQuantized, readQuantizedFile, type QuantizedVectors } from '../../store/quantized-vectors.js';
import { Embedder } from '../../workers/embedder.js';
import { INT8_SCAN_WASM } from '../../workers/int8-scan-module.js';
import { referenceScores, referenceSearch } from '../../workers/int8-scan-reference.js';
import { Int8Scan, topScores } from '../../workers/int8-scan.js';
import { ivfSearch, quantizedSearch } from '../../workers/vector-search.js';
import { SAMPLE_CORPUS, STATIC_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';
import { unitVectors } from '../helpers/unit-vectors.js';

/**
 * How far a kernel score may be from the JavaScript reference's: the query rounded to int16 moves
 * each component by at most 1/32,766 of the largest, and the score is summed in float32. Measured
 * here: under 1e-4 on unit vectors of 100 to 1024 dimensions.
 */
const TOLERANCE = 1e-3;

async function quantizedFrom(dir: string, vectors: Float32Array, dimensions: number): Promise<QuantizedVectors> {
  await writeFile(path.join(dir, FILES.quantized), encodeQuantized(vectors, dimensions));
  return readQuantizedFile(dir, vectors.length / dimensions, dimensions);
}

function expectScoresClose(actual: Float32Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThan(TOLERANCE);
}

/**
 * The kernel's candidates against the reference's: real chunks have near-equal scores (repeated
 * passages), which the rounding may swap. Each row differing from the reference's must be such a
 * near tie: its reference score within TOLERANCE of the row it replaced.
 */
function expectSameCandidates(actual: { row: number }[], expected: { row: number }[], reference: Float64Array): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((hit, i) => expect(Math.abs(reference[hit.row]! - reference[expected[i]!.row]!)).toBeLessThan(TOLERANCE));
  const same = actual.filter((hit, i) => hit.row === expected[i]!.row).length;
  expect(same).toBeGreaterThanOrEqual(actual.length - 4);
}

describe('the int8 scan kernel (WebAssembly SIMD)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(() => cleanup());

  it('is the compiled form of workers/int8-scan.wat (run `npm run build:wasm` after changing it)', async () => {
    const tool = (await import(pathToFileURL(path.resolve('tools/build-wasm.mjs')).href)) as { compileKernel(): Promise<Buffer> };
    expect((await tool.compileKernel()).toString('base64')).toBe(INT8_SCAN_WASM);
  });

  // 48 and 61: the kernel's turn of 16 after its turns of 32, and (61) codes one at a time after it.
  it.each([384, 512, 100, 1024, 48, 61])('scores every row as the JavaScript reference does, and picks the same top rows, at %i dimensions', async (dimensions) => {
    const rows = 700;
    const quantized = await quantizedFrom(dir, unitVectors(rows, dimensions, dimensions), dimensions);
    const queries = unitVectors(5, dimensions, 7 * dimensions);
    for (let q = 0; q < 5; q++) {
      const query = queries.subarray(q * dimensions, (q + 1) * dimensions);
      expectScoresClose(Int8Scan.of(quantized).scoreAll(query), referenceScores(quantized, query));
      const expected = referenceSearch(quantized, query, 20);
      const actual = quantizedSearch(quantized, query, 20);
      expect(actual.map((h) => h.row)).toEqual(expected.map((h) => h.row));
      actual.forEach((hit, i) => expect(Math.abs(hit.score - expected[i]!.score)).toBeLessThan(TOLERANCE));
    }
  });

  it('keeps a row whose codes are all at the int8 limits, and a zero query, without overflow', async () => {
    const dimensions = 1024;
    const vectors = new Float32Array(2 * dimensions);
    vectors.fill(1 / 32, 0, dimensions);
    vectors.fill(-1 / 32, dimensions);
    const quantized = await quantizedFrom(dir, vectors, dimensions);
    const query = new Float32Array(dimensions).fill(1 / 32);
    const scores = Int8Scan.of(quantized).scoreAll(query);
    expect(scores[0]).toBeCloseTo(1, 4);
    expect(scores[1]).toBeCloseTo(-1, 4);
    expect([...Int8Scan.of(quantized).scoreAll(new Float32Array(dimensions))]).toEqual([0, 0]);
  });

  it('skips the rows a filter refuses, as the reference does', async () => {
    const dimensions = 100;
    const quantized = await quantizedFrom(dir, unitVectors(500, dimensions, 3), dimensions);
    const query = unitVectors(1, dimensions, 11);
    const even = (row: number) => row % 2 === 0;
    const actual = quantizedSearch(quantized, query, 15, even);
    expect(actual).toHaveLength(15);
    expect(actual.every((h) => even(h.row))).toBe(true);
    expect(actual.map((h) => h.row)).toEqual(referenceSearch(quantized, query, 15, even).map((h) => h.row));
    expect(quantizedSearch(quantized, query, 15, () => false)).toEqual([]);
  });

  it('searches an empty index, and an index smaller than the list asked for', async () => {
    const empty = await quantizedFrom(dir, new Float32Array(0), 384);
    expect(quantizedSearch(empty, unitVectors(1, 384, 5), 10)).toEqual([]);
    const three = await quantizedFrom(dir, unitVectors(3, 384, 9), 384);
    const hits = quantizedSearch(three, unitVectors(1, 384, 5), 10);
    expect(hits.map((h) => h.row).sort()).toEqual([0, 1, 2]);
    expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[1]!.score);
  });

  it('scores ranges of rows, one after the other, as the reference scores those rows', async () => {
    const dimensions = 100;
    const quantized = await quantizedFrom(dir, unitVectors(300, dimensions, 21), dimensions);
    const query = unitVectors(1, dimensions, 23);
    const rows = Uint32Array.from([...Array.from({ length: 50 }, (_, i) => 250 + i), 0, 1, 2, ...Array.from({ length: 20 }, (_, i) => 100 + i)]);
    expectScoresClose(Int8Scan.of(quantized).scoreRanges(query, [250, 0, 100], [300, 3, 120]), referenceScores(quantized, query, rows));
  });

  it('ranks ties higher score first, then lower position, and asks the filter only about rows that would enter', () => {
    const scores = Float32Array.from([0.5, 0.9, 0.5, 0.9, 0.1, 0.5]);
    expect(topScores(scores, 4)).toEqual([
      { row: 1, score: expect.closeTo(0.9, 6) },
      { row: 3, score: expect.closeTo(0.9, 6) },
      { row: 0, score: 0.5 },
      { row: 2, score: 0.5 },
    ]);
    const asked: number[] = [];
    topScores(scores, 2, (row) => (asked.push(row), true));
    expect(asked).toEqual([0, 1, 3]);
    expect(topScores(scores, 0)).toEqual([]);
  });
});

describe('the int8 scan kernel on real-meaning vectors (static model, sample handbook)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let quantized: QuantizedVectors;
  let vectors: Float32Array;
  let dimensions: number;
  let queries: Float32Array[];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    const out = path.join(dir, 'index');
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: out, embedding: STATIC_MODEL, vectraExport: false, calibration: false });
    const index = await readIndex(out);
    index.chunks.close();
    vectors = index.vectors!;
    dimensions = index.manifest.model!.dimensions;
    quantized = await quantizedFrom(dir, vectors, dimensions);
    const file = 'eval/paraphrased/sample.json';
    const questions = parseQuestions(JSON.parse(await readFile(file, 'utf8')), file).map((q) => q.question);
    const embedder = await Embedder.load(STATIC_MODEL);
    queries = [];
    for (const question of questions) queries.push(await embedder.embed([question]));
  }, 180_000);
  afterAll(() => cleanup());

  it('gives the reference scores and the same candidates for every eval question', () => {
    for (const query of queries) {
      const reference = referenceScores(quantized, query);
      expectScoresClose(Int8Scan.of(quantized).scoreAll(query), reference);
      expectSameCandidates(quantizedSearch(quantized, query, 42), referenceSearch(quantized, query, 42), reference);
    }
  });

  it('scans the IVF candidates as the reference does', () => {
    const ivf = buildIvf(vectors, dimensions, 6);
    for (const query of queries) {
      const candidates = ivfSearch(quantized, ivf, query, 10, 3);
      expect(candidates).toHaveLength(10);
      const rows = Uint32Array.from(candidates, (h) => h.row);
      const expected = referenceScores(quantized, query, rows);
      candidates.forEach((hit, i) => expect(Math.abs(hit.score - expected[i]!)).toBeLessThan(TOLERANCE));
      // Every list probed: the full scan's candidates.
      expect(ivfSearch(quantized, ivf, query, 10, ivf.lists).map((h) => h.row)).toEqual(quantizedSearch(quantized, query, 10).map((h) => h.row));
    }
  });
});
