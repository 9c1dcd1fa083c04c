import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { prebuild } from '../../indexing/prebuild.js';
import { parseQuestions } from '../../evaluation/questions.js';
import { readIndex } from '../../store/index-files.js';
import { FILES } from '../../store/index-layout.js';
import { readQuantizedVectors } from '../../store/quantized-vectors.js';
import { Embedder } from '../../workers/embedder.js';
import { Retriever } from '../../workers/retriever.js';
import { quantizedSearch, vectorSearch } from '../../workers/vector-search.js';
import { SAMPLE_CORPUS, STATIC_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

describe('int8 vectors with exact rescoring', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let indexDir: string;
  let questions: string[];
  let embedder: Embedder;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    indexDir = path.join(dir, 'index');
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
    const file = 'eval/paraphrased/sample.json';
    questions = parseQuestions(JSON.parse(await readFile(file, 'utf8')), file).map((q) => q.question);
    embedder = await Embedder.load(STATIC_MODEL);
  }, 180_000);
  afterAll(() => cleanup());

  it('holds a quarter of the bytes, and ranks like float32 before any rescoring (recall@10 at least 0.97)', async () => {
    const exact = await readIndex(indexDir);
    const dims = exact.manifest.model!.dimensions;
    const quantized = await readQuantizedVectors(exact.dir, exact.chunks.length, dims);
    expect(quantized.codes.byteLength + quantized.scales.byteLength).toBeLessThan(exact.vectors!.byteLength / 3.5);
    let found = 0;
    for (const question of questions) {
      const query = await embedder.embed([question]);
      const truth = new Set(vectorSearch(exact.vectors!, dims, query, 10).map((h) => h.row));
      found += quantizedSearch(quantized, query, 10).filter((h) => truth.has(h.row)).length;
    }
    expect(found / (10 * questions.length)).toBeGreaterThanOrEqual(0.97);
  });

  it('returns the same passages with the same scores as float32 once the candidates are rescored', async () => {
    const int8 = await Retriever.open({ indexDir, embedder, cacheEntries: 0 });
    const float32 = await Retriever.open({ indexDir, embedder, cacheEntries: 0, precision: 'float32' });
    expect(int8.index.vectors).toBeNull();
    expect(int8.index.quantized).not.toBeNull();
    for (const question of questions) {
      for (const mode of ['vector', 'hybrid'] as const) {
        const a = await int8.search({ query: question, topK: 10, mode });
        const b = await float32.search({ query: question, topK: 10, mode });
        expect(a.hits.map((h) => h.id)).toEqual(b.hits.map((h) => h.id));
        a.hits.forEach((hit, i) => expect(hit.scores.vector?.score ?? 0).toBeCloseTo(b.hits[i]!.scores.vector?.score ?? 0, 5));
        expect(a.query?.corpusSimilarity ?? 0).toBeCloseTo(b.query?.corpusSimilarity ?? 0, 5);
      }
    }
  }, 120_000);

  it('refuses a damaged vector file while streaming it', async () => {
    const live = (await readIndex(indexDir)).dir;
    await truncate(path.join(live, FILES.vectors), 1000);
    await expect(Retriever.open({ indexDir, embedder })).rejects.toThrow(/vectors\.f32 (has 1000 bytes|does not match)/);
  });
});
