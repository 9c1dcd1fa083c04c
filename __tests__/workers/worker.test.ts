import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { Piscina } from 'piscina';
import { prebuild } from '../../indexing/prebuild.js';
import type { EmbeddingConfig } from '../../workers/model-config.js';
import type { EmbedOutput, SearchOutput, StatusOutput, WorkerConfig, WorkerResult, WorkerTask } from '../../workers/protocol.js';
import { quotableSentences } from '../../text/sentences.js';
import { FUSION, SAMPLE_CORPUS, STATIC_MODEL, TINY_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

// ts-jest does not transform code inside worker threads: the pool runs the compiled worker.
const WORKER = path.resolve('dist/workers/worker.js');

function pool(indexDir: string, embedding: EmbeddingConfig, extra: Partial<WorkerConfig> = {}): Piscina {
  const workerData: WorkerConfig = { indexDir, embedding, fusion: FUSION, ...extra };
  return new Piscina({ filename: WORKER, minThreads: 0, maxThreads: 1, workerData, resourceLimits: { maxOldGenerationSizeMb: 128 } });
}

async function run<T>(piscina: Piscina, task: WorkerTask): Promise<WorkerResult<T>> {
  return (await piscina.run(task)) as WorkerResult<T>;
}

function value<T>(result: WorkerResult<T>): T {
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.value;
}

describe('the search worker', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let sampleIndex: string;
  let tinyIndex: string;
  const pools: Piscina[] = [];
  const open = (indexDir: string, embedding: EmbeddingConfig) => {
    const p = pool(indexDir, embedding);
    pools.push(p);
    return p;
  };

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    sampleIndex = path.join(dir, 'sample');
    tinyIndex = path.join(dir, 'tiny');
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: sampleIndex, embedding: STATIC_MODEL });
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: tinyIndex, embedding: TINY_MODEL, vectraExport: false });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.destroy()));
    await cleanup();
  });

  it('loads nothing until asked, then answers with hybrid results and its memory', async () => {
    const piscina = open(sampleIndex, STATIC_MODEL);
    const idle = value(await run<StatusOutput>(piscina, { task: 'status' }));
    expect(idle).toMatchObject({ indexLoaded: false, modelLoaded: false });

    const result = await run<SearchOutput>(piscina, { task: 'search', query: 'How many vacation days do I get each year?', topK: 5 });
    const out = value(result);
    expect(out.retrieval).toBe('hybrid');
    expect(out.hits).toHaveLength(5);
    expect(out.hits.slice(0, 3).map((h) => h.source)).toContain('leave/vacation-and-pto.md');
    const hit = out.hits[0]!;
    expect(Object.keys(hit).sort()).toEqual(['end', 'headings', 'id', 'score', 'scores', 'source', 'start', 'text', 'title'].sort());
    expect(hit.end - hit.start).toBe(hit.text.length);
    expect(result.memory.rssBytes).toBeGreaterThan(0);
    expect(result.memory.heapUsedBytes).toBeGreaterThan(0);

    const loaded = value(await run<StatusOutput>(piscina, { task: 'status' }));
    expect(loaded).toMatchObject({ indexLoaded: true, modelLoaded: true, retrieval: 'hybrid', model: STATIC_MODEL.model });
    expect(loaded.chunks).toBeGreaterThan(100);
  });

  it('filters by source prefix and can run one side alone', async () => {
    const piscina = open(sampleIndex, STATIC_MODEL);
    const filtered = value(await run<SearchOutput>(piscina, { task: 'search', query: 'how do I report a lost laptop', topK: 6, filter: { source: 'security/' } }));
    expect(filtered.hits.length).toBeGreaterThan(0);
    expect(filtered.hits.every((h) => h.source.startsWith('security/'))).toBe(true);
    const vectorOnly = value(await run<SearchOutput>(piscina, { task: 'search', query: 'parental leave weeks', topK: 3, mode: 'vector' }));
    expect(vectorOnly.retrieval).toBe('vector');
    expect(vectorOnly.hits.every((h) => h.scores.vector && !h.scores.lexical)).toBe(true);
    const embedded = value(await run<EmbedOutput>(piscina, { task: 'embed', texts: ['a', 'b c'] }));
    expect(embedded.dimensions).toBe(512);
    expect(embedded.vectors).toHaveLength(1024);
  });

  it('scores the hits\' quotable sentences by meaning when asked, and only then', async () => {
    const piscina = open(sampleIndex, STATIC_MODEL);
    const plain = value(await run<SearchOutput>(piscina, { task: 'search', query: 'Will I still be paid while on jury duty?', topK: 3 }));
    expect(plain.sentenceSimilarity).toBeUndefined();
    const scored = value(await run<SearchOutput>(piscina, { task: 'search', query: 'Will I still be paid while on jury duty?', topK: 3, sentences: true }));
    const similarity = scored.sentenceSimilarity!;
    expect(Object.keys(similarity).sort()).toEqual([...new Set(scored.hits.flatMap((h) => quotableSentences(h.text)))].sort());
    const values = Object.values(similarity);
    expect(values.every((v) => v >= -1.0001 && v <= 1.0001)).toBe(true);
    expect(new Set(values.map((v) => v.toFixed(4))).size).toBeGreaterThan(1);
    const held = pool(sampleIndex, STATIC_MODEL, { withoutModel: 'held back for the test' });
    pools.push(held);
    expect(value(await run<SearchOutput>(held, { task: 'search', query: 'jury duty pay', topK: 3, sentences: true })).sentenceSimilarity).toBeUndefined();
  });

  it('falls back to lexical search, and says so, on an index built without vectors when no model can be loaded', async () => {
    const lexicalIndex = path.join(dir, 'lexical');
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: lexicalIndex, embedding: STATIC_MODEL, lexicalOnly: true });
    const piscina = open(lexicalIndex, { ...STATIC_MODEL, model: 'Nobody/missing-model' });
    const out = value(await run<SearchOutput>(piscina, { task: 'search', query: 'vacation days per year', topK: 3 }));
    expect(out.retrieval).toBe('lexical');
    expect(out.degradedReason).toContain('without vectors');
    expect(out.hits[0]!.source).toBe('leave/vacation-and-pto.md');
    expect(out.hits[0]!.scores.lexical).toBeDefined();
  });

  it('does not load the model for an index built without vectors, even when the model is there, and still embeds when asked', async () => {
    const lexicalIndex = path.join(dir, 'lexical-with-model');
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: lexicalIndex, embedding: STATIC_MODEL, lexicalOnly: true });
    const piscina = open(lexicalIndex, STATIC_MODEL);
    const result = await run<SearchOutput>(piscina, { task: 'search', query: 'vacation days per year', topK: 3 });
    expect(value(result)).toMatchObject({ retrieval: 'lexical' });
    expect(result.state).toMatchObject({ indexLoaded: true, modelLoaded: false, retrieval: 'lexical' });
    const status = value(await run<StatusOutput>(piscina, { task: 'status', load: true }));
    expect(status.modelLoaded).toBe(false);
    const embedded = await run<EmbedOutput>(piscina, { task: 'embed', texts: ['vacation'] });
    expect(value(embedded).dimensions).toBeGreaterThan(0);
    expect(embedded.state.modelLoaded).toBe(true);
  });

  it('refuses an index with vectors whose model cannot be loaded, instead of quietly searching it by keywords', async () => {
    const piscina = open(sampleIndex, { ...STATIC_MODEL, modelDir: path.join(dir, 'no-models') });
    const result = await run<SearchOutput>(piscina, { task: 'search', query: 'vacation days per year', topK: 3 });
    expect(result).toMatchObject({ ok: false, code: 'MODEL_NOT_FOUND' });
    if (result.ok) return;
    expect(result.message).toContain('local/static-use-wordpiece-512');
    expect(result.message).toContain('not searched by keywords alone');
  });

  it('refuses an index built for another model, saying what differs and what to run', async () => {
    const piscina = open(tinyIndex, STATIC_MODEL);
    const result = await run<SearchOutput>(piscina, { task: 'search', query: 'vacation', topK: 3 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('INDEX_MODEL_MISMATCH');
    expect(result.message).toContain('Synthetic/tiny-random-bert in the index');
    expect(result.message).toContain('npm run prebuild');
  });

  it('started without the model (memory), searches by keyword, says why, measures itself, and still refuses another model\'s index', async () => {
    const held = pool(sampleIndex, STATIC_MODEL, { withoutModel: 'held back for the test', rssAtSpawnBytes: process.memoryUsage.rss() });
    pools.push(held);
    const result = await run<SearchOutput>(held, { task: 'search', query: 'vacation days per year', topK: 3 });
    expect(value(result)).toMatchObject({ retrieval: 'lexical', degradedReason: 'held back for the test' });
    expect(result.state).toMatchObject({ indexLoaded: true, modelLoaded: false });
    expect(result.state.loadCostMb).toEqual(expect.any(Number));
    const mismatched = pool(tinyIndex, STATIC_MODEL, { withoutModel: 'held back for the test' });
    pools.push(mismatched);
    expect(await run<SearchOutput>(mismatched, { task: 'search', query: 'vacation', topK: 3 })).toMatchObject({ ok: false, code: 'INDEX_MODEL_MISMATCH' });
  });

  it('reports a missing index as a typed failure, not a crash', async () => {
    const piscina = open(path.join(dir, 'nothing-here'), TINY_MODEL);
    const result = await run<SearchOutput>(piscina, { task: 'search', query: 'vacation', topK: 3 });
    expect(result).toMatchObject({ ok: false, code: 'INDEX_NOT_FOUND' });
  });

  it('loads the model again in a replacement worker after the first is terminated', async () => {
    for (let generation = 0; generation < 3; generation++) {
      const piscina = pool(sampleIndex, STATIC_MODEL);
      const out = value(await run<SearchOutput>(piscina, { task: 'search', query: 'sick days', topK: 2 }));
      expect(out.retrieval).toBe('hybrid');
      await piscina.destroy();
    }
  });
});
