import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Piscina } from 'piscina';
import { prebuild } from '../../indexing/prebuild.js';
import { parseQuestions } from '../../evaluation/questions.js';
import { FILES } from '../../store/index-layout.js';
import type { Manifest } from '../../store/manifest.js';
import { Embedder } from '../../workers/embedder.js';
import type { SearchOutput, WorkerConfig, WorkerResult } from '../../workers/protocol.js';
import { Retriever } from '../../workers/retriever.js';
import { sentenceSimilarity } from '../../workers/sentence-similarity.js';
import { SENTENCE_SPLITTER_REVISION } from '../../text/sentences.js';
import { FUSION, SAMPLE_CORPUS, STATIC_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

/** How far an int8 row's cosine may be from the float32 one (one scale per row, largest magnitude ↦ 127). */
const INT8_TOLERANCE = 0.02;

describe('sentence scores from stored vectors (static model, sample corpus)', () => {
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
    questions = parseQuestions(JSON.parse(await readFile(file, 'utf8')), file).map((q) => q.question).slice(0, 40);
    embedder = await Embedder.load(STATIC_MODEL);
  }, 180_000);
  afterAll(() => cleanup());

  it('gives every quotable sentence of the hits the cosine query-time embedding gives it, within int8 rounding', async () => {
    const retriever = await Retriever.open({ indexDir, embedder, cacheEntries: 0 });
    expect(retriever.storedSentences).toBe(true);
    let compared = 0;
    let worst = 0;
    for (const question of questions) {
      const stored = await retriever.search({ query: question, topK: 5, sentences: 'stored' });
      const embedded = await sentenceSimilarity(embedder, stored.hits, await embedder.embedQuestion(question));
      expect(Object.keys(stored.sentenceSimilarity ?? {}).sort()).toEqual(Object.keys(embedded).sort());
      for (const [sentence, cosine] of Object.entries(embedded)) {
        worst = Math.max(worst, Math.abs(stored.sentenceSimilarity![sentence]! - cosine));
        compared++;
      }
      // Asked for either way, the scores are the stored ones: the answer does not depend on the worker's load.
      expect((await retriever.search({ query: question, topK: 5, sentences: true })).sentenceSimilarity).toEqual(stored.sentenceSimilarity);
    }
    expect(compared).toBeGreaterThan(10 * questions.length);
    expect(worst).toBeLessThan(INT8_TOLERANCE);
    retriever.close();
  }, 120_000);

  it('the evaluation\'s scoring of earlier hits reads the same stored rows', async () => {
    const retriever = await Retriever.open({ indexDir, embedder, cacheEntries: 0 });
    const found = await retriever.search({ query: questions[0]!, topK: 5, sentences: true });
    expect(await retriever.scoreSentences(questions[0]!, found.hits)).toEqual(found.sentenceSimilarity);
    retriever.close();
  });

  it('through the worker thread, answers a `stored` request with scores from an index that has them', async () => {
    const workerData: WorkerConfig = { indexDir, embedding: STATIC_MODEL, fusion: FUSION };
    const pool = new Piscina({ filename: path.resolve('dist/workers/worker.js'), minThreads: 0, maxThreads: 1, workerData });
    try {
      const result = (await pool.run({ task: 'search', query: 'Will I still be paid while on jury duty?', topK: 3, sentences: 'stored' })) as WorkerResult<SearchOutput>;
      if (!result.ok) throw new Error(result.message);
      expect(Object.keys(result.value.sentenceSimilarity ?? {}).length).toBeGreaterThan(3);
    } finally {
      await pool.destroy();
    }
  }, 60_000);

  it('ignores vectors split with another splitter revision: embeds when idle (`true`), scores nothing for `stored`', async () => {
    const opened = await Retriever.open({ indexDir, embedder });
    const live = opened.index.dir;
    opened.close();
    const manifestFile = path.join(live, FILES.manifest);
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
    manifest.sentenceVectors!.splitterRevision = SENTENCE_SPLITTER_REVISION + 1;
    await writeFile(manifestFile, JSON.stringify(manifest));
    const retriever = await Retriever.open({ indexDir, embedder, cacheEntries: 0 });
    expect(retriever.storedSentences).toBe(false);
    const question = questions[1]!;
    expect((await retriever.search({ query: question, topK: 5, sentences: 'stored' })).sentenceSimilarity).toBeUndefined();
    const idle = await retriever.search({ query: question, topK: 5, sentences: true });
    expect(idle.sentenceSimilarity).toEqual(await sentenceSimilarity(embedder, idle.hits, await embedder.embedQuestion(question)));
    retriever.close();
  }, 60_000);
});
