/**
 * `prebuild --store postgres://...` (issue 17): the documents are read, chunked, embedded and
 * calibrated by `prebuild()` itself, into a staging folder, then written into the database as a
 * new generation's tables and made live by one transaction on the pointer row.
 *
 * Unchanged documents are not embedded again: the live generation is first read back into the
 * staging folder as a file generation, and `prebuild()` reuses its chunks and vectors as it does
 * for an index folder (same content hash, model, chunker and version).
 *
 * The generation swapped out stays until the next build (a server checks the pointer every second,
 * so by then none reads it); older ones, and tables left by a killed build, are dropped.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beginGeneration, commitGeneration } from '../store/atomic-swap.js';
import { readDocuments, readIndex, writeGenerationFiles } from '../store/index-files.js';
import { readLive, readWholeGeneration } from '../store/pg-read.js';
import { connectPool, redactUrl, type VectorType } from '../store/pg-schema.js';
import { dropStaleGenerations, ensureSchema, swapLive, withBuildLock, writeGeneration } from '../store/pg-write.js';
import { prebuild, type PrebuildOptions, type PrebuildReport } from './prebuild.js';
import { LexicalIndex } from '../workers/lexical-index.js';

export interface PostgresPrebuildOptions extends Omit<PrebuildOptions, 'outDir'> {
  /** Ignored: the build stages in a temp folder. */
  outDir?: string;
  /** `postgres://...` */
  store: string;
  vectorType?: VectorType;
  hnsw?: { m: number; efConstruction: number };
  /** Called with the filled, not yet live, generation (tests and drills: a build killed here must leave the live one serving). */
  beforeSwap?: (generation: string) => Promise<void> | void;
  onStoreProgress?: (phase: 'chunks' | 'terms' | 'index', done: number, total: number) => void;
}

export interface PostgresPrebuildReport extends PrebuildReport {
  generation: string;
  previous: string | null;
  dropped: string[];
  /** Seconds spent writing the tables and the HNSW index. */
  storeSeconds: number;
}

/** Write the live generation back as a file generation in `dir`, for `prebuild()` to reuse unchanged documents from. */
async function stageLiveGeneration(pool: Awaited<ReturnType<typeof connectPool>>, dir: string): Promise<boolean> {
  const live = await readLive(pool);
  if (!live) return false;
  const whole = await readWholeGeneration(pool, live);
  const { tempDir, name } = await beginGeneration(dir);
  // The keyword index is rebuilt by every build and the IVF lists are the file store's: the staged copy needs neither.
  await writeGenerationFiles(tempDir, { manifest: { ...live.manifest }, chunks: whole.chunks, documents: whole.documents, vectors: whole.vectors, lexical: new Uint8Array(0), ivf: false });
  await commitGeneration(dir, tempDir, name);
  return true;
}

export async function prebuildToPostgres(options: PostgresPrebuildOptions): Promise<PostgresPrebuildReport> {
  const started = performance.now();
  // No statement limit for a build: an HNSW index over a large corpus takes minutes.
  const pool = await connectPool(options.store, { max: 2, connectTimeoutMs: 10_000, statementTimeoutMs: 0 });
  const staging = await mkdtemp(path.join(os.tmpdir(), 'rag512-pg-stage-'));
  try {
    await ensureSchema(pool);
    return await withBuildLock(pool, async (client) => {
      await dropStaleGenerations(client);
      if (!options.full) await stageLiveGeneration(pool, staging);
      const report = await prebuild({ ...options, outDir: staging, vectraExport: false });
      const storeStarted = performance.now();
      const index = await readIndex(staging, 'float32');
      const documents = await readDocuments(index.dir);
      const chunks = index.chunks.all();
      index.chunks.close();
      const lexical = await LexicalIndex.open(index.lexical.file);
      const written = await writeGeneration(client, { manifest: index.manifest, chunks, documents, vectors: index.vectors, lexical }, { ...(options.vectorType ? { vectorType: options.vectorType } : {}), ...(options.hnsw ? { hnsw: options.hnsw } : {}), ...(options.onStoreProgress ? { onProgress: options.onStoreProgress } : {}) }).finally(() => lexical.close());
      await options.beforeSwap?.(written.id);
      const { previous } = await swapLive(client, written, index.manifest, chunks.length);
      const dropped = await dropStaleGenerations(client);
      const seconds = (performance.now() - started) / 1000;
      return {
        ...report,
        indexDir: redactUrl(options.store),
        generationDir: `${redactUrl(options.store)} generation ${written.id}`,
        generation: written.id,
        previous,
        dropped,
        storeSeconds: (performance.now() - storeStarted) / 1000,
        seconds,
        chunksPerSecond: report.chunks / Math.max(seconds, 1e-3),
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
      };
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
    await pool.end().catch(() => undefined);
  }
}
