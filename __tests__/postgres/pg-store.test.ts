/**
 * The PostgreSQL store against a real PostgreSQL with pgvector: `prebuild --store` builds it (and
 * reuses unchanged documents on a rebuild), and PgRetriever answers as the file store's Retriever
 * does over the same documents and model: the same keyword hits and scores, the same passages on top.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { prebuild } from '../../indexing/prebuild.js';
import { Embedder } from '../../workers/embedder.js';
import { PgRetriever } from '../../workers/pg-retriever.js';
import { Retriever } from '../../workers/retriever.js';
import { searchEach } from '../../workers/batch-search.js';
import { runPrebuildCli } from '../helpers/prebuild-cli.js';
import { SAMPLE_CORPUS, SHARED_MODELS, STATIC_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';
import { sql, testDatabase } from '../../tools/testing/pg-cluster.js';
import { connectPool } from '../../store/pg-schema.js';
import { raiseMaintenanceMemory } from '../../store/pg-write.js';

let db: { url: string; drop(): Promise<void> };
let embedder: Embedder;
let files: Retriever;
let store: PgRetriever;
let work: { dir: string; cleanup: () => Promise<void> };
let firstBuild: { code: number | null; stdout: string; stderr: string };
const questions = (JSON.parse(await readFile('eval/sample-questions.json', 'utf8')) as { question: string }[]).map((q) => q.question).slice(0, 20);
const MODEL_ARGS = ['--model', STATIC_MODEL.model, '--model-dir', SHARED_MODELS];

beforeAll(async () => {
  db = await testDatabase();
  work = await tempDir();
  firstBuild = await runPrebuildCli(['--docs', SAMPLE_CORPUS, '--store', db.url, ...MODEL_ARGS, '--quiet']);
  embedder = await Embedder.load(STATIC_MODEL);
  const indexDir = path.join(work.dir, 'index');
  await prebuild({ docsDir: SAMPLE_CORPUS, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
  files = await Retriever.open({ indexDir, embedder, precision: 'float32', cacheEntries: 0 });
  store = await PgRetriever.open({ url: db.url, embedder, cacheEntries: 0 });
}, 180_000);

afterAll(async () => {
  await store?.close();
  await db?.drop();
  await work?.cleanup();
});

describe('prebuild --store postgres://', () => {
  it('writes one live generation with every chunk, its vectors and its manifest', async () => {
    expect(firstBuild.stderr).toBe('');
    expect(firstBuild.code).toBe(0);
    expect(firstBuild.stdout).toMatch(/Index ready: postgres:\/\/.* generation g\w+/);
    const [live] = await sql<{ generation: string; chunks: number; model: string; dims: number }>(db.url, `SELECT l.generation, g.chunks, g.manifest->'model'->>'id' AS model, g.dimensions AS dims FROM rag512_live l JOIN rag512_generations g ON g.id = l.generation`);
    expect(live!.chunks).toBe(files.index.chunks.length);
    expect(live!.model).toBe(STATIC_MODEL.model);
    expect(live!.dims).toBe(512);
    const [counted] = await sql<{ n: string; with_vectors: string }>(db.url, `SELECT count(*) AS n, count(embedding) AS with_vectors FROM rag512_gen_${live!.generation}_chunks`);
    expect(Number(counted!.n)).toBe(files.index.chunks.length);
    expect(Number(counted!.with_vectors)).toBe(files.index.chunks.length);
  });

  it('rebuilds unchanged documents from the live generation without embedding them again, and keeps one previous generation', async () => {
    const before = store.generationId;
    const rebuilt = await runPrebuildCli(['--docs', SAMPLE_CORPUS, '--store', db.url, ...MODEL_ARGS, '--quiet']);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(new RegExp(`chunks\\s+${files.index.chunks.length} \\(0 embedded, ${files.index.chunks.length} reused\\)`));
    const [live] = await sql<{ generation: string; previous: string }>(db.url, 'SELECT generation, previous FROM rag512_live');
    expect(live!.previous).toBe(before);
    expect(live!.generation).not.toBe(before);
    // A third build drops the first generation's tables: only the live one and its predecessor remain.
    expect((await runPrebuildCli(['--docs', SAMPLE_CORPUS, '--store', db.url, ...MODEL_ARGS, '--quiet'])).code).toBe(0);
    const tables = await sql<{ tablename: string }>(db.url, `SELECT tablename FROM pg_tables WHERE tablename LIKE 'rag512\\_gen\\_%\\_chunks'`);
    expect(tables.map((t) => t.tablename)).not.toContain(`rag512_gen_${before}_chunks`);
    expect(tables).toHaveLength(2);
  }, 120_000);
});

describe('PgRetriever', () => {
  it('moves to the generation the pointer names, and finds the same keyword hits with the same BM25 scores as the file store', async () => {
    await store.refresh(true);
    const [live] = await sql<{ generation: string }>(db.url, 'SELECT generation FROM rag512_live');
    expect(store.generationId).toBe(live!.generation);
    for (const query of questions) {
      const fromFiles = await files.search({ query, topK: 10, mode: 'lexical' });
      const fromDb = await store.search({ query, topK: 10, mode: 'lexical' });
      expect(fromDb.hits.map((h) => h.id)).toEqual(fromFiles.hits.map((h) => h.id));
      fromDb.hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(fromFiles.hits[i]!.score, 4));
      expect(fromDb.query!.unknownTerms).toEqual(fromFiles.query!.unknownTerms);
      expect(fromDb.query!.keywordMatch).toBeCloseTo(fromFiles.query!.keywordMatch!, 4);
    }
  });

  it('answers hybrid searches with the same passage on top as the file store, its calibration and its signals', async () => {
    let sameTop = 0;
    for (const query of questions) {
      const fromFiles = await files.search({ query, topK: 5 });
      const fromDb = await store.search({ query, topK: 5 });
      expect(fromDb.retrieval).toBe('hybrid');
      expect(fromDb.calibration).toEqual(fromFiles.calibration);
      expect(fromDb.query!.corpusSimilarity).toBeCloseTo(fromFiles.query!.corpusSimilarity!, 3);
      if (fromDb.hits[0]!.id === fromFiles.hits[0]!.id) sameTop++;
      // halfvec cosines differ from float32 ones in the third decimal at most.
      const shared = fromDb.hits.filter((hit) => hit.scores.vector && fromFiles.hits.some((f) => f.id === hit.id && f.scores.vector));
      for (const hit of shared) expect(hit.scores.vector!.score).toBeCloseTo(fromFiles.hits.find((f) => f.id === hit.id)!.scores.vector!.score, 2);
    }
    expect(sameTop).toBeGreaterThanOrEqual(questions.length - 1);
  });

  it('answers a batch (its questions embedded in one model call, then searched at once on the database) as it answers each alone', async () => {
    const batch = questions.slice(0, 8).map((query) => ({ query, topK: 5 }));
    const together = await searchEach(store, [...batch, { query: questions[0]!, topK: 5, mode: 'lexical' as const }]);
    // Eight questions through the model together; the keyword-only search needs none.
    expect(together.embedded).toBe(new Set(batch.map((request) => request.query)).size);
    expect(together.results).toHaveLength(9);
    for (const [i, request] of batch.entries()) {
      const item = together.results[i]!;
      if (!item.ok) throw new Error(item.message);
      expect(item.value.hits.map((hit) => hit.id)).toEqual((await store.search(request)).hits.map((hit) => hit.id));
    }
    const lexical = together.results[8]!;
    expect(lexical.ok && lexical.value.retrieval).toBe('lexical');
  });

  it('matches a misspelt word one edit away, reports words the documents never use, and filters by source prefix', async () => {
    const typo = await store.search({ query: 'parentall leave', topK: 3, mode: 'lexical' });
    expect(typo.hits.length).toBeGreaterThan(0);
    expect(typo.query!.unknownTerms).toEqual([]);
    const unknown = await store.search({ query: 'zyxwvut leave', topK: 3, mode: 'lexical' });
    expect(unknown.query!.unknownTerms).toEqual(['zyxwvut']);
    const filtered = await store.search({ query: 'how many days', topK: 10, filter: { source: 'leave/' } });
    expect(filtered.hits.length).toBeGreaterThan(0);
    for (const hit of filtered.hits) expect(hit.source.startsWith('leave/')).toBe(true);
  });

  it('gives a document its chunks, and scores sentences as the file store does', async () => {
    const source = files.index.chunks.get(0).source;
    const chunks = await store.chunksOf(source);
    expect(chunks.map((c) => c.id)).toEqual(files.index.chunks.all().filter((c) => c.source === source).map((c) => c.id));
    const { hits } = await files.search({ query: questions[0]!, topK: 3 });
    const fromDb = await store.scoreSentences(questions[0]!, hits);
    const fromFiles = await files.scoreSentences(questions[0]!, hits);
    expect(Object.keys(fromDb!)).toEqual(Object.keys(fromFiles!));
  });
});

describe('a search on the database', () => {
  it('reads its candidates (nearest rows, postings, source filter) in one statement and its passages in a second, and answers as before', async () => {
    const statements: string[] = [];
    const counted = await PgRetriever.open({
      url: db.url,
      embedder,
      cacheEntries: 0,
      // No pointer re-read during the test: it would be a statement of its own.
      pointerCheckMs: 3_600_000,
      connect: async (url, settings) => {
        const pool = await connectPool(url, settings);
        const query = pool.query.bind(pool) as (text: string, values?: unknown[]) => Promise<unknown>;
        Object.assign(pool, { query: (text: string, values?: unknown[]) => (statements.push(text), query(text, values)) });
        return pool;
      },
    });
    try {
      // Words the sample corpus knows (no typo lookup), with and without a source filter.
      for (const [query, filter] of [['travel expenses', undefined], ['health benefits', { source: 'benefits' }]] as const) {
        statements.length = 0;
        const fromDb = await counted.search({ query, topK: 5, ...(filter ? { filter } : {}) });
        expect(fromDb.hits.length).toBeGreaterThan(0);
        expect(statements).toHaveLength(2);
        expect(statements[0]).toMatch(/<#>[\s\S]*UNION ALL|UNION ALL[\s\S]*<#>/);
        const fromOther = await store.search({ query, topK: 5, ...(filter ? { filter } : {}) });
        expect(fromDb.hits.map((h) => [h.id, h.score])).toEqual(fromOther.hits.map((h) => [h.id, h.score]));
      }
    } finally {
      await counted.close();
    }
  });
});

describe('the HNSW build', () => {
  it('raises maintenance_work_mem to 256 MB for its session, and never lowers a larger setting', async () => {
    const pool = await connectPool(db.url, { max: 1, statementTimeoutMs: 0 });
    const client = await pool.connect();
    try {
      const setting = async () => (await client.query<{ m: string }>("SELECT current_setting('maintenance_work_mem') AS m")).rows[0]!.m;
      await client.query(`SET maintenance_work_mem = '64MB'`);
      await raiseMaintenanceMemory(client);
      expect(await setting()).toBe('256MB');
      await client.query(`SET maintenance_work_mem = '1GB'`);
      await raiseMaintenanceMemory(client);
      expect(await setting()).toBe('1GB');
    } finally {
      client.release();
      await pool.end();
    }
  });
});
