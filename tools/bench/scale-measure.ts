/** The measurements of `npm run bench:scale` for one corpus size: build, serve under load, recall. */
import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { readIndex, readVectors } from '../../store/index-files.js';
import { readRows } from '../../store/quantized-vectors.js';
import { Embedder } from '../../workers/embedder.js';
import type { EmbeddingConfig } from '../../workers/model-config.js';
import { DEFAULT_IVF_PROBES } from '../../workers/retriever.js';
import { DEFAULT_PROBE_REACH, ivfSearch, quantizedSearch, vectorSearch } from '../../workers/vector-search.js';
import { ONE_ADDRESS_LOAD_ENV, procfileCommand, startServerProcess } from '../testing/server-process.js';
import { round } from './load-summary.js';
import { RssSampler } from './rss-sampler.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PREBUILD_CLI = path.join(here, '../prebuild-cli.js');
const RESCORED_EXTRA = 32;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BuildFigures {
  chunks: number;
  seconds: number;
  peakRssMb: number;
  indexMb: number;
  /** Bytes on disk per file of the generation. */
  files: Record<string, number>;
}

/** Build `docsDir` into `indexDir` with the prebuild CLI as its own process; its time and peak RSS. */
export async function build(docsDir: string, indexDir: string, model: string, modelDir: string): Promise<BuildFigures> {
  const args = [PREBUILD_CLI, '--docs', docsDir, '--out', indexDir, '--model', model, '--model-dir', modelDir, '--no-vectra', '--full', '--quiet'];
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const sampler = new RssSampler(child.pid!, 500).start();
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  sampler.stop();
  if (code !== 0) throw new Error(`building ${indexDir} failed (exit ${code})`);
  const seconds = (performance.now() - started) / 1000;
  return { ...(await onDisk(indexDir)), seconds: round(seconds), peakRssMb: round(sampler.peak()) };
}

/** The live generation's chunk count and its files' sizes. */
export async function onDisk(indexDir: string): Promise<Pick<BuildFigures, 'chunks' | 'indexMb' | 'files'>> {
  const index = await readIndex(indexDir);
  const files: Record<string, number> = {};
  for (const file of await readdir(index.dir)) files[file] = (await stat(path.join(index.dir, file))).size;
  index.chunks.close();
  const total = Object.values(files).reduce((a, b) => a + b, 0);
  return { chunks: index.manifest.corpus.chunks, indexMb: round(total / 1048576), files };
}

export interface ServeFigures {
  /** RSS once the index and the model are loaded and the server is idle. */
  idleMb: number;
  /** Highest RSS under the load. */
  loadPeakMb: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  errors: number;
  /** Worker's own report at the end (`/api/memory`), for what the figures are made of. */
  memory: unknown;
  firstSearchMs: number;
}

/**
 * Start the server as the Procfile does, wait for the first search, measure idle, then `clients` on
 * /api/search for `seconds`. `root`: the checkout whose build serves (default this one; another, to
 * compare builds side by side on the same index in one run).
 */
export async function serve(indexDir: string, model: string, modelDir: string, questions: string[], clients: number, seconds: number, log: (line: string) => void, root?: string): Promise<ServeFigures> {
  const procfile = procfileCommand(root ? path.join(root, 'Procfile') : undefined);
  const env = { ...procfile.env, INDEX_DIR: indexDir, MODEL_DIR: modelDir, EMBEDDING_MODEL: model, MEMORY_LIMIT_MB: '512', ...ONE_ADDRESS_LOAD_ENV };
  const server = await startServerProcess(env, procfile.nodeArgs, 600_000, root ? path.join(root, 'dist/server/index.js') : undefined, root);
  const sampler = new RssSampler(server.child.pid!, 100).start();
  try {
    const started = performance.now();
    const first = await fetch(`${server.url}/api/search?q=${encodeURIComponent(questions[0]!)}&k=5`);
    await first.arrayBuffer();
    if (first.status !== 200) throw new Error(`first search answered ${first.status}: ${server.logs.slice(-5).join('\n')}`);
    const firstSearchMs = round(performance.now() - started);
    await sleep(4000);
    const idleFrom = sampler.now - 2;
    const idleMb = round(sampler.median(idleFrom, sampler.now));
    log(`    idle ${idleMb} MB (first search ${firstSearchMs} ms); ${clients} clients for ${seconds} s`);
    let next = 1;
    const loadFrom = sampler.now;
    const result = await autocannon({
      url: server.url,
      connections: clients,
      duration: seconds,
      timeout: 30,
      requests: [{ setupRequest: (req) => ({ ...req, method: 'GET', path: `/api/search?q=${encodeURIComponent(questions[next++ % questions.length]!)}&k=5` }) }],
    });
    const statuses: Record<string, number> = {};
    for (const [key, value] of Object.entries(result.statusCodeStats ?? {})) statuses[key] = (value as { count: number }).count;
    const memory = await fetch(`${server.url}/api/memory`).then((res) => res.json(), () => null);
    return { idleMb, loadPeakMb: round(sampler.peak(loadFrom)), rps: round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, statuses, errors: result.errors + result.timeouts, memory, firstSearchMs };
  } finally {
    sampler.stop();
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

export interface RecallFigures {
  queries: number;
  /** The search the worker does (IVF above the threshold, up to DEFAULT_IVF_PROBES lists within DEFAULT_PROBE_REACH; else the int8 scan), rescored, against exact float32. */
  recallAt10: number;
  /** Vector search alone, per query, in this process: the worker's way and a full int8 scan. */
  msPerQuery: number;
  fullScanMsPerQuery: number;
  ivf: { lists: number; sweep: { probes: number; recallAt10: number; msPerQuery: number }[] } | null;
}

/** Recall@10 of the worker's vector search against the exact float32 top 10, for real questions embedded by the model. */
export async function recall(indexDir: string, embedding: EmbeddingConfig, questions: string[]): Promise<RecallFigures> {
  const embedder = await Embedder.load(embedding);
  const index = await readIndex(indexDir, 'int8');
  const { quantized, ivf, dir } = index;
  if (!quantized) throw new Error('the benchmark index has no vectors');
  const { dimensions, rows } = quantized;
  const exact = await readVectors(dir, rows, dimensions);
  const queries: Float32Array[] = [];
  for (const question of questions) queries.push(await embedder.embed([question]));
  const truths = queries.map((query) => new Set(vectorSearch(exact, dimensions, query, 10).map((hit) => hit.row)));
  const measure = (search: (query: Float32Array) => { row: number }[]) => {
    let found = 0;
    let ms = 0;
    queries.forEach((query, i) => {
      const started = performance.now();
      const candidates = search(query);
      ms += performance.now() - started;
      const rescored = readRows(dir, dimensions, candidates.map((c) => c.row));
      const top = candidates.map((c, k) => ({ row: c.row, score: dot(rescored[k]!, query) })).sort((a, b) => b.score - a.score || a.row - b.row).slice(0, 10);
      found += top.filter((hit) => truths[i]!.has(hit.row)).length;
    });
    return { recallAt10: round(found / (10 * queries.length), 4), msPerQuery: round(ms / queries.length, 2) };
  };
  const full = measure((query) => quantizedSearch(quantized, query, 10 + RESCORED_EXTRA));
  const sweep = ivf ? [8, 16, 24, 32, 48, 64, 96].map((probes) => ({ probes, ...measure((query) => ivfSearch(quantized, ivf, query, 10 + RESCORED_EXTRA, probes)) })) : [];
  // The worker's way: up to DEFAULT_IVF_PROBES lists, those within DEFAULT_PROBE_REACH of the nearest.
  const worker = ivf ? measure((query) => ivfSearch(quantized, ivf, query, 10 + RESCORED_EXTRA, DEFAULT_IVF_PROBES, DEFAULT_PROBE_REACH)) : full;
  index.chunks.close();
  return { queries: queries.length, recallAt10: worker.recallAt10, msPerQuery: worker.msPerQuery, fullScanMsPerQuery: full.msPerQuery, ivf: ivf ? { lists: ivf.lists, sweep } : null };
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let d = 0; d < a.length; d++) sum += a[d]! * b[d]!;
  return sum;
}
