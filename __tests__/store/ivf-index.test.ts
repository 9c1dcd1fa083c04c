import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IndexCorruptError } from '../../store/errors.js';
import { readIndex } from '../../store/index-files.js';
import { FILES } from '../../store/index-layout.js';
import { buildIvf, encodeIvf, listCount, readIvf } from '../../store/ivf-index.js';
import { readQuantizedVectors } from '../../store/quantized-vectors.js';
import { prebuild } from '../../indexing/prebuild.js';
import { Embedder } from '../../workers/embedder.js';
import { ivfSearch, quantizedSearch } from '../../workers/vector-search.js';
import { SAMPLE_CORPUS, STATIC_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

/** The approximate index on real-meaning vectors: the sample handbook embedded by the static model. */
describe('IVF index', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let generation: string;
  let vectors: Float32Array;
  let dimensions: number;
  let embedder: Embedder;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    const out = path.join(dir, 'index');
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: out, embedding: STATIC_MODEL, vectraExport: false, calibration: false });
    const index = await readIndex(out);
    index.chunks.close();
    generation = index.dir;
    vectors = index.vectors!;
    dimensions = index.manifest.model!.dimensions;
    embedder = await Embedder.load(STATIC_MODEL);
  }, 180_000);
  afterAll(() => cleanup());

  it('puts every row in exactly one list, and reads back what it wrote', async () => {
    const rows = vectors.length / dimensions;
    const ivf = buildIvf(vectors, dimensions, 6);
    expect(ivf.lists).toBe(6);
    expect(ivf.listStarts[6]).toBe(rows);
    expect([...ivf.listRows].sort((a, b) => a - b)).toEqual(Array.from({ length: rows }, (_, i) => i));
    // Lists hold rows near their own centroid: the build did more than split the rows at random.
    expect(new Set(Array.from({ length: 6 }, (_, c) => ivf.listStarts[c + 1]! - ivf.listStarts[c]!)).size).toBeGreaterThan(1);
    await writeFile(path.join(generation, FILES.ivf), encodeIvf(ivf));
    const read = await readIvf(generation, rows, dimensions);
    expect(read.centroids).toEqual(ivf.centroids);
    expect(read.listRows).toEqual(ivf.listRows);
    await expect(readIvf(generation, rows + 1, dimensions)).rejects.toBeInstanceOf(IndexCorruptError);
    await expect(readIvf(generation, rows, dimensions, 'f'.repeat(64))).rejects.toThrow(/ivf\.bin does not match the checksum/);
  });

  it('finds what the full int8 scan finds when every list is probed, and most of it from a third of the lists', async () => {
    const rows = vectors.length / dimensions;
    const ivf = buildIvf(vectors, dimensions, 6);
    const quantized = await readQuantizedVectors(generation, rows, dimensions);
    let found = 0;
    const questions = ['How many vacation days do I get?', 'Who approves my expenses?', 'Can I work from home?', 'What is the parental leave policy?'];
    for (const question of questions) {
      const query = await embedder.embed([question]);
      const full = quantizedSearch(quantized, query, 10);
      expect(ivfSearch(quantized, ivf, query, 10, ivf.lists).map((h) => h.row)).toEqual(full.map((h) => h.row));
      const truth = new Set(full.map((h) => h.row));
      found += ivfSearch(quantized, ivf, query, 10, 2).filter((h) => truth.has(h.row)).length;
    }
    expect(found / (10 * questions.length)).toBeGreaterThan(0.5);
  });

  it('sizes lists at about half the square root of the rows', () => {
    expect(listCount(250_000)).toBe(250);
    expect(listCount(20_000)).toBe(71);
    expect(listCount(1)).toBe(1);
  });
});
