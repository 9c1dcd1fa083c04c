#!/usr/bin/env node
/**
 * `npm run bench:scale:pg -- [--sizes 10000,50000,250000] [--url postgres://...] [--seconds 15] [--vector-types halfvec,vector] [--file-baseline] [--in-flight 1,2,4] [--docs DIR] [--out FILE] [--chart FILE]`
 * The PostgreSQL store's corpus curve (issue 17). For each size: a generation of that many chunks
 * written into its own database (real-meaning vectors: the static model over sentences of the
 * documentation installed on this machine, combined into new passages with new ids, never random
 * vectors), then the server as the Procfile starts it, idle and under 30 clients on /api/search.
 * Printed per size: embedding and store build time, table and index size, the server's RSS idle
 * and at peak, p50/p99, recall@10 of the HNSW search against exact search, and PostgreSQL's own RSS.
 *
 * `--in-flight`: the load is run once per value of PG_SEARCHES_IN_FLIGHT, side by side on the same
 * generation (default: the server's default only). `--docs DIR`: a real corpus (e.g. the 18F
 * handbook) built with `prebuild --store` and loaded with the eval questions, before the sizes
 * (`--sizes ''` for none). `--out FILE`: the rows as JSON as well. `--chart FILE`: the synthetic
 * sizes' instance RSS and latency as an SVG (the file store's chart). At 1,000,000 chunks the bench
 * holds every vector (2 GB) and chunk: run it with `node --max-old-space-size=12288`.
 *
 * `--eval`: the eval sets through both stores and both keyword sides instead (Recall@5, MRR@10):
 * file store; PostgreSQL halfvec + our BM25 as term rows; halfvec + PostgreSQL full-text; vector + BM25.
 *
 * Without `--url` (or RAG512_TEST_PG_URL), a throwaway cluster is started with tools/ci/postgres-setup.sh.
 */
import autocannon from 'autocannon';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { prebuild } from '../indexing/prebuild.js';
import { prebuildToPostgres } from '../indexing/prebuild-postgres.js';
import { evaluate } from '../evaluation/evaluate.js';
import { parseQuestions } from '../evaluation/questions.js';
import type { ChunkRecord, DocumentRecord } from '../store/chunk-record.js';
import { FORMAT_VERSION, type Manifest } from '../store/manifest.js';
import { exactNearestRows, nearestRows, readLive } from '../store/pg-read.js';
import { connectPool, type VectorType } from '../store/pg-schema.js';
import { addFullText, ensureSchema, swapLive, writeGeneration } from '../store/pg-write.js';
import { packageVersion } from '../store/package-version.js';
import { beginGeneration, commitGeneration } from '../store/atomic-swap.js';
import { writeGenerationFiles } from '../store/index-files.js';
import { Embedder } from '../workers/embedder.js';
import { buildLexicalIndex, LexicalIndex } from '../workers/lexical-index.js';
import { FILES } from '../store/index-layout.js';
import type { EmbeddingConfig } from '../workers/model-config.js';
import { PgRetriever } from '../workers/pg-retriever.js';
import { Retriever } from '../workers/retriever.js';
import { ONE_ADDRESS_LOAD_ENV, procfileCommand, rssMbOf, startServerProcess } from './testing/server-process.js';
import { createDatabase } from './testing/pg-cluster.js';
import { RssSampler } from './bench/rss-sampler.js';
import { scaleChart, type CurvePoint } from './bench/scale-chart.js';

const run = promisify(execFile);
const SHARED = path.resolve(process.env.SHARED_MODELS ?? '../shared/models');
const STATIC: EmbeddingConfig = { model: 'local/static-use-wordpiece-512', modelDir: SHARED, allowRemote: false, dtype: 'q8' };
const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};

async function serverUrl(): Promise<{ url: string; dataDir: string | null; stop: () => Promise<void> }> {
  const given = flag('url') ?? process.env.RAG512_TEST_PG_URL;
  if (given) return { url: given, dataDir: null, stop: async () => undefined };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rag512-pgbench-'));
  const { stdout } = await run('tools/ci/postgres-setup.sh', ['start', dir]);
  return { url: stdout.trim(), dataDir: path.join(dir, 'data'), stop: async () => void (await run('tools/ci/postgres-setup.sh', ['stop', dir]), await rm(dir, { recursive: true, force: true })) };
}

/** A process's proportional set size (shared pages divided among the processes that map them), MB. */
async function pssMb(pid: number): Promise<number> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) / 1024;
}

/**
 * The PostgreSQL server's memory (postmaster and its children), MB: the sum of their PSS, so
 * shared_buffers, mapped by every backend, counts once (a sum of RSS counts it once per backend).
 */
async function postgresRssMb(server: string): Promise<number> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  const { rows } = await client.query<{ setting: string }>(`SELECT setting FROM pg_settings WHERE name = 'data_directory'`);
  await client.end();
  const pid = Number((await readFile(path.join(rows[0]!.setting, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (!pid) return Number.NaN;
  const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(pid)]);
  const pids = [pid, ...stdout.split('\n').map((s) => Number(s.trim())).filter(Boolean)];
  let total = 0;
  for (const p of pids) total += await pssMb(p).catch(() => 0);
  return Math.round(total);
}

/** Sentences of the documentation installed on this machine (READMEs, changelogs), de-duplicated. */
async function docSentences(limit: number): Promise<string[]> {
  const seen = new Set<string>();
  const root = '/usr/share/doc';
  for (const pkg of (await readdir(root)).sort()) {
    let files: string[];
    try {
      files = (await readdir(path.join(root, pkg))).filter((f) => /^(README|changelog|NEWS|copyright)/i.test(f));
    } catch {
      continue;
    }
    for (const file of files) {
      let text: string;
      try {
        const bytes = await readFile(path.join(root, pkg, file));
        text = (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
      } catch {
        continue;
      }
      for (const raw of text.split(/(?<=[.!?])\s+|\n\s*\n/)) {
        const sentence = raw.replace(/\s+/g, ' ').trim();
        const words = sentence.split(' ').length;
        if (words >= 6 && words <= 40 && /^[A-Z]/.test(sentence) && !/[<>{}|@]|http|--/.test(sentence)) seen.add(sentence);
        if (seen.size >= limit) return [...seen];
      }
    }
  }
  return [...seen];
}

/**
 * Passage `i`: three sentences picked by fixed strides, so passages differ and have neighbours
 * (shared sentences). The strides shift with each pass over the sentences, so no passage repeats
 * past the number of sentences (a run at 250,000 chunks before this had each passage 4 or 5 times).
 */
function passage(sentences: string[], i: number): string {
  const n = sentences.length;
  const pass = Math.floor(i / n);
  return [sentences[i % n], sentences[(i * 7 + 3 + pass * 101) % n], sentences[(i * 13 + 11 + pass * 211) % n]].join(' ');
}

/** The same chunks as a file-store generation in `dir` (the side-by-side baseline: `--file-baseline`). */
async function writeFileGeneration(dir: string, data: { manifest: Manifest; chunks: ChunkRecord[]; documents: DocumentRecord[]; vectors: Float32Array }): Promise<void> {
  const { tempDir, name } = await beginGeneration(dir);
  await writeGenerationFiles(tempDir, { ...data, lexical: buildLexicalIndex(data.chunks) });
  await commitGeneration(dir, tempDir, name);
}

async function writeSynthetic(url: string, chunkCount: number, sentences: string[], embedder: Embedder, vectorType: VectorType, fileDir?: string): Promise<{ embedSeconds: number; storeSeconds: number }> {
  const dims = embedder.dimensions;
  const chunks: ChunkRecord[] = [];
  const documents: DocumentRecord[] = [];
  const perDoc = 20;
  for (let i = 0; i < chunkCount; i++) {
    const doc = Math.floor(i / perDoc);
    if (i % perDoc === 0) documents.push({ source: `synthetic/doc-${doc}.md`, title: `Document ${doc}`, contentHash: `h${doc}`, firstChunk: i, chunkCount: Math.min(perDoc, chunkCount - i) });
    const text = passage(sentences, i);
    chunks.push({ id: `c${i.toString(36)}`, source: `synthetic/doc-${doc}.md`, title: `Document ${doc}`, headings: [`Part ${i % perDoc}`], start: 0, end: text.length, text, tokens: Math.round(text.length / 4) });
  }
  const embedStarted = performance.now();
  const vectors = new Float32Array(chunkCount * dims);
  for (let at = 0; at < chunkCount; at += 256) {
    const batch = chunks.slice(at, at + 256).map((c) => c.text);
    vectors.set(await embedder.embed(batch), at * dims);
    if (at % 100_000 < 256 && at > 0) process.stderr.write(`  ${new Date().toISOString().slice(11, 19)} embedded ${at}\n`);
  }
  const embedSeconds = (performance.now() - embedStarted) / 1000;
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    tool: { name: 'rag512', version: packageVersion() },
    createdAt: new Date().toISOString(),
    model: embedder.fingerprint,
    chunking: { maxTokens: 128, overlapTokens: 16, revision: 0 },
    corpus: { hash: 'synthetic', documents: documents.length, skipped: 0, chunks: chunkCount, tokens: chunks.reduce((s, c) => s + c.tokens, 0) },
    files: { chunks: FILES.chunks, vectors: FILES.vectors, lexical: FILES.lexical, documents: FILES.documents, vectra: null },
  };
  if (fileDir) await writeFileGeneration(fileDir, { manifest: structuredClone(manifest), chunks, documents, vectors });
  const storeStarted = performance.now();
  const pool = await connectPool(url, { max: 2, statementTimeoutMs: 0 });
  await ensureSchema(pool);
  const client = await pool.connect();
  let shown = '';
  const onProgress = (phase: string, done: number, total: number) => {
    const line = `${phase} ${Math.floor((done / total) * 10) * 10}%`;
    if (line !== shown) process.stderr.write(`  ${new Date().toISOString().slice(11, 19)} ${(shown = line)}\n`);
  };
  const written = await writeGeneration(client, { manifest, chunks, documents, vectors, lexical: LexicalIndex.load(buildLexicalIndex(chunks)) }, { vectorType, onProgress });
  await swapLive(client, written, manifest, chunkCount);
  client.release();
  await pool.end();
  return { embedSeconds, storeSeconds: (performance.now() - storeStarted) / 1000 };
}

async function tableSizes(url: string): Promise<{ tableMb: number; hnswMb: number; keywordMb: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ generation: string }>('SELECT generation FROM rag512_live');
  const id = rows[0]!.generation;
  const size = async (sql: string) => Number((await client.query<{ b: string }>(sql)).rows[0]!.b) / 1048576;
  const tableMb = await size(`SELECT pg_total_relation_size('rag512_gen_${id}_chunks') AS b`);
  const hnswMb = await size(`SELECT coalesce(sum(pg_relation_size(indexrelid)), 0) AS b FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = 'rag512_gen_${id}_chunks'::regclass AND a.amname = 'hnsw'`);
  const keywordMb = await size(`SELECT pg_total_relation_size('rag512_gen_${id}_vocab') AS b`);
  await client.end();
  const r = (x: number) => Math.round(x * 10) / 10;
  return { tableMb: r(tableMb), hnswMb: r(hnswMb), keywordMb: r(keywordMb) };
}

/** Recall@10 of the HNSW search against exact search, over `queries`. */
/** Recall@10 of the HNSW search against an exact scan, over `queries`, at the served ef_search (100) and at 200 and 400. */
async function recallAt10(url: string, embedder: Embedder, queries: string[]): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  const vectors = await Promise.all(queries.map((query) => embedder.embedQuestion(query)));
  const exactPool = await connectPool(url, { max: 1, statementTimeoutMs: 0 });
  const live = (await readLive(exactPool))!;
  const exact: number[][] = [];
  for (const vector of vectors) exact.push(await exactNearestRows(exactPool, live, vector, 10));
  await exactPool.end();
  for (const efSearch of [100, 200, 400]) {
    const pool = await connectPool(url, { max: 1, statementTimeoutMs: 0, efSearch });
    let found = 0;
    for (const [i, vector] of vectors.entries()) {
      const approx = new Set((await nearestRows(pool, live, vector, 10)).map((r) => r.row));
      found += exact[i]!.filter((row) => approx.has(row)).length;
    }
    await pool.end();
    figures[efSearch === 100 ? 'recallAt10' : `recallAt10Ef${efSearch}`] = Math.round((found / (10 * queries.length)) * 1000) / 1000;
  }
  return figures;
}

async function loadServer(store: { INDEX_STORE: string } | { INDEX_DIR: string }, queries: string[], seconds: number, extraEnv: Record<string, string> = {}, postgresMb?: () => Promise<number>): Promise<Record<string, number>> {
  const { env, nodeArgs } = procfileCommand();
  const server = await startServerProcess({ ...env, ...store, ...extraEnv, MODEL_DIR: SHARED, EMBEDDING_MODEL: STATIC.model, WARMUP: 'true', SEARCH_CACHE_ENTRIES: '0', ...ONE_ADDRESS_LOAD_ENV }, nodeArgs);
  try {
    const pid = server.child.pid!;
    // Warm: the model and the first searches.
    for (let i = 0; i < 20; i++) await fetch(`${server.url}/api/search?q=${encodeURIComponent(queries[i % queries.length]!)}&k=5`).then((r) => r.arrayBuffer());
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idleMb = await rssMbOf(pid);
    const sampler = new RssSampler(pid, 100).start();
    let next = 0;
    const result = await autocannon({
      url: server.url,
      connections: 30,
      duration: seconds,
      timeout: 30,
      requests: [{ setupRequest: (req) => ({ ...req, method: 'GET', path: `/api/search?q=${encodeURIComponent(queries[next++ % queries.length]!)}&k=5` }) }],
    });
    sampler.stop();
    // The database's memory right after the load, its backends for this server still open.
    const postgresPssMbLoaded = postgresMb ? await postgresMb() : undefined;
    const non2xx = result.non2xx;
    return { idleRssMb: Math.round(idleMb), peakRssMb: Math.round(Math.max(...sampler.samples.map((s) => s.mb))), rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, non2xx, errors: result.errors + result.timeouts, ...(postgresPssMbLoaded !== undefined ? { postgresPssMbLoaded } : {}) };
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

/** The synthetic sizes' rows as the corpus chart's points (`--chart FILE`): the first vector type's, one load per size. */
function curvePoints(measured: Record<string, unknown>[]): CurvePoint[] {
  const firstType = measured.find((row) => typeof row.vectorType === 'string')?.vectorType;
  return measured
    .filter((row) => row.vectorType === firstType && typeof row.p99 === 'number' && row.inFlight === undefined)
    .map((row) => ({ chunks: row.chunks as number, idleMb: row.idleRssMb as number, loadPeakMb: row.peakRssMb as number, p50: row.p50 as number, p99: row.p99 as number }))
    .sort((a, b) => a.chunks - b.chunks);
}

/** The rows printed so far, written to `--out` at the end. */
const rows: Record<string, unknown>[] = [];
function report(row: Record<string, unknown>): void {
  rows.push(row);
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

/** One load per `--in-flight` value (PG_SEARCHES_IN_FLIGHT), side by side on the same generation. */
async function loadsInFlight(server: string, url: string, queries: string[], seconds: number): Promise<Record<string, unknown>[]> {
  const values = (flag('in-flight') ?? '').split(',').filter(Boolean);
  const loads: Record<string, unknown>[] = [];
  for (const value of values.length ? values : ['']) {
    const load = await loadServer({ INDEX_STORE: url }, queries, seconds, value ? { PG_SEARCHES_IN_FLIGHT: value } : {}, () => postgresRssMb(server));
    loads.push({ ...(value ? { inFlight: Number(value) } : {}), ...load });
  }
  return loads;
}

/** A real corpus (`--docs`): built with `prebuild --store`, loaded with the eval questions of its set when known. */
async function corpus(server: string, docsDir: string, seconds: number): Promise<void> {
  const questionsFile = flag('questions') ?? 'eval/18f-questions.json';
  const queries = (JSON.parse(await readFile(questionsFile, 'utf8')) as { question: string }[]).map((q) => q.question);
  const db = await createDatabase(server, 'rag512_bench');
  try {
    const pgBefore = await postgresRssMb(server);
    const started = performance.now();
    const built = await prebuildToPostgres({ store: db.url, docsDir, embedding: STATIC, full: true });
    const buildSeconds = Math.round((performance.now() - started) / 1000);
    const sizesMb = await tableSizes(db.url);
    for (const load of await loadsInFlight(server, db.url, queries, seconds)) report({ corpus: docsDir, chunks: built.chunks, buildSeconds, ...sizesMb, ...load, postgresPssMbBefore: pgBefore });
  } finally {
    await db.drop();
  }
}

async function scale(server: string): Promise<void> {
  const sizes = (flag('sizes') ?? '10000,50000,250000').split(',').filter(Boolean).map(Number);
  const seconds = Number(flag('seconds') ?? 15);
  const types = (flag('vector-types') ?? 'halfvec').split(',') as VectorType[];
  const fileBaseline = args.includes('--file-baseline');
  const docs = flag('docs');
  if (docs) await corpus(server, docs, seconds);
  if (!sizes.length) return;
  const embedder = await Embedder.load(STATIC);
  const sentences = await docSentences(60_000);
  process.stdout.write(`${sentences.length} sentences from /usr/share/doc; ${os.cpus().length} cores, shared with other work: times are noisy (±30%)\n`);
  // Questions: other sentences' words, reworded by cutting them (they are not passages themselves).
  const queries = Array.from({ length: 200 }, (_, i) => sentences[(i * 97 + 5) % sentences.length]!.split(' ').slice(0, 8).join(' '));
  for (const size of sizes) {
    for (const vectorType of types) {
      const db = await createDatabase(server, 'rag512_bench');
      try {
        const pgBefore = await postgresRssMb(server);
        const fileDir = fileBaseline ? await mkdtemp(path.join(os.tmpdir(), 'rag512-pgbench-files-')) : undefined;
        try {
          const build = await writeSynthetic(db.url, size, sentences, embedder, vectorType, fileDir);
          const built = { chunks: size, vectorType, embedSeconds: Math.round(build.embedSeconds), storeSeconds: Math.round(build.storeSeconds), storeChunksPerSecond: Math.round(size / build.storeSeconds) };
          process.stdout.write(`${JSON.stringify(built)}\n`);
          const sizesMb = await tableSizes(db.url);
          const recall = await recallAt10(db.url, embedder, queries.slice(0, 100));
          for (const load of await loadsInFlight(server, db.url, queries, seconds)) report({ ...built, ...sizesMb, ...recall, ...load, postgresPssMbBefore: pgBefore, postgresPssMbAfter: await postgresRssMb(server) });
          // The file store over the same chunks, right after, on the same machine: the ratio is the figure.
          if (fileDir) report({ chunks: size, store: 'files', ...(await loadServer({ INDEX_DIR: fileDir }, queries, seconds)) });
        } finally {
          if (fileDir) await rm(fileDir, { recursive: true, force: true });
        }
      } finally {
        await db.drop();
      }
    }
  }
}

const EVAL_SETS = [
  { name: 'sample', docs: 'corpus/handbook', questions: ['eval/sample-questions.json', 'eval/paraphrased/sample.json'] },
  { name: '18f', docs: path.join(SHARED, '../corpora/18f-handbook/pages'), questions: ['eval/18f-questions.json', 'eval/paraphrased/18f.json'] },
  { name: 'civicactions', docs: path.join(SHARED, '../corpora/civicactions-guidebook'), questions: ['eval/paraphrased/civicactions.json'] },
];

async function evalStores(server: string): Promise<void> {
  const embedder = await Embedder.load(STATIC);
  for (const set of EVAL_SETS) {
    const work = await mkdtemp(path.join(os.tmpdir(), 'rag512-pgeval-'));
    const dbs: { url: string; drop: () => Promise<void> }[] = [];
    try {
      await prebuild({ docsDir: set.docs, outDir: work, embedding: STATIC, vectraExport: false });
      const files = await Retriever.open({ indexDir: work, embedder, cacheEntries: 0 });
      const variants: { name: string; open: () => Promise<PgRetriever> }[] = [];
      for (const vectorType of ['halfvec', 'vector'] as const) {
        const db = await createDatabase(server, 'rag512_bench');
        dbs.push(db);
        await prebuildToPostgres({ store: db.url, docsDir: set.docs, embedding: STATIC, vectorType });
        const pool = await connectPool(db.url, { max: 1, statementTimeoutMs: 0 });
        const client = await pool.connect();
        try {
          await addFullText(client, (await readLive(client))!.id);
        } finally {
          client.release();
          await pool.end();
        }
        variants.push({ name: `pg ${vectorType} bm25`, open: () => PgRetriever.open({ url: db.url, embedder, cacheEntries: 0 }) });
        if (vectorType === 'halfvec') variants.push({ name: 'pg halfvec fulltext', open: () => PgRetriever.open({ url: db.url, embedder, cacheEntries: 0, keywordSide: 'fulltext' }) });
      }
      for (const file of set.questions) {
        const questions = parseQuestions(JSON.parse(await readFile(file, 'utf8')), file);
        const rows: string[] = [];
        const figures = (name: string, report: Awaited<ReturnType<typeof evaluate>>) => report.modes.map((m) => `${name.padEnd(22)} ${m.mode.padEnd(8)} R@5 ${m.recallAt5.toFixed(4)}  MRR@10 ${m.mrrAt10.toFixed(4)}  nDCG@10 ${m.ndcgAt10.toFixed(4)}`);
        rows.push(...figures('file store (int8)', await evaluate({ retriever: files, questions, modes: ['hybrid', 'lexical'] })));
        for (const variant of variants) {
          const store = await variant.open();
          const view = { index: files.index, retrieval: store.retrieval, degradedReason: store.degradedReason, embedder: store.embedder, search: store.search.bind(store), scoreSentences: store.scoreSentences.bind(store) } as unknown as Retriever;
          rows.push(...figures(variant.name, await evaluate({ retriever: view, questions, modes: ['hybrid', 'lexical'] })));
          await store.close();
        }
        process.stdout.write(`\n${set.name}: ${file} (${questions.length} questions, ${files.index.chunks.length} chunks)\n${rows.join('\n')}\n`);
      }
    } finally {
      for (const db of dbs) await db.drop();
      await rm(work, { recursive: true, force: true });
    }
  }
}

const server = await serverUrl();
try {
  if (args.includes('--eval')) await evalStores(server.url);
  else await scale(server.url);
  const chart = flag('chart');
  const curve = curvePoints(rows);
  if (chart && curve.length) {
    await mkdir(path.dirname(path.resolve(chart)), { recursive: true });
    await writeFile(chart, scaleChart(curve, `PostgreSQL store (bench:scale:pg), ${os.cpus().length} cores shared by the server, its database and the bench; ${new Date().toISOString().slice(0, 10)}`));
  }
  const out = flag('out');
  if (out) {
    await mkdir(path.dirname(path.resolve(out)), { recursive: true });
    await writeFile(out, `${JSON.stringify({ machine: `${os.cpus().length} cores, shared with other work (times ±30%)`, measuredAt: new Date().toISOString(), rows }, null, 2)}\n`);
  }
} finally {
  await server.stop();
}
