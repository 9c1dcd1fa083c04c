/**
 * The worker thread's entry: Piscina calls the default export once per task. The model and the
 * index are loaded on the first task that needs them, once; nothing heavy happens at import.
 */
import path from 'node:path';
import { workerData } from 'node:worker_threads';
import { loadEmbedderOrReason, type Embedder } from './embedder.js';
import type { EmbedOutput, StatusOutput, TaskOutputs, WorkerConfig, WorkerMemory, WorkerResult, WorkerTask } from './protocol.js';
import { failureOf, searchBatch, searchEach } from './batch-search.js';
import { documentText } from './document-text.js';
import { Retriever } from './retriever.js';
import type { PgRetriever } from './pg-retriever.js';
import { locateIndex, readManifest } from '../store/index-files.js';

const config = workerData as WorkerConfig;
/** Process RSS before this worker was created (the pool reads it), else now: what the worker adds is measured from here. */
const rssAtSpawn = config.rssAtSpawnBytes ?? process.memoryUsage.rss();
let loadCostMb: number | undefined;
/** Whether this worker holds the model: what `status` reports, whatever the index (one without vectors does not use it). */
let modelInMemory = false;

let embedder: Promise<{ embedder?: Embedder; error?: string }> | undefined;
let retriever: Promise<Retriever | PgRetriever> | undefined;

/**
 * The model, or the reason it could not be loaded; a failure is remembered (files do not appear
 * at run time). A worker started without the model (memory, see server/memory/model-admission.ts) never loads it.
 */
function loadEmbedder(): Promise<{ embedder?: Embedder; error?: string }> {
  // Remote models off whatever the config says: nothing is downloaded at run time.
  embedder ??= config.withoutModel
    ? Promise.resolve({ error: config.withoutModel })
    : loadEmbedderOrReason({ ...config.embedding, allowRemote: false }, config.modelFile).then((loaded) => {
      modelInMemory = Boolean(loaded.embedder);
      return loaded;
    });
  return embedder;
}

/**
 * Whether the index on disk was built without vectors: keyword search needs no model, so the
 * worker does not load it (about 95 MB) for such an index even when the model is there. The
 * `embed` task still loads it on demand. Unreadable here means "not known": the retriever reports it.
 */
async function indexHasNoVectors(): Promise<boolean> {
  if (config.indexStore) return false;
  try {
    return !(await readManifest(await locateIndex(config.indexDir))).model;
  } catch {
    return false;
  }
}

/** The model for the retriever: none for an index without vectors. */
async function embedderForIndex(): Promise<{ embedder?: Embedder; error?: string }> {
  return (await indexHasNoVectors()) ? { error: 'the index was built without vectors (lexical only)' } : loadEmbedder();
}

/** The index; a failure is not remembered, so a later task retries (e.g. after a build finished). */
function loadRetriever(): Promise<Retriever | PgRetriever> {
  retriever ??= embedderForIndex()
    .then(async ({ embedder: loaded, error }) =>
      // The PostgreSQL store (INDEX_STORE / DATABASE_URL): `pg` is loaded only then.
      (config.indexStore ? (await import('./pg-retriever.js')).PgRetriever : Retriever).open({
        url: config.indexStore ?? '',
        indexDir: config.indexDir,
        embedder: loaded,
        withoutModelReason: error,
        fusion: config.fusion,
        ...(config.searchCacheEntries !== undefined ? { cacheEntries: config.searchCacheEntries } : {}),
        ...(config.questionCacheBytes !== undefined ? { questionCacheBytes: config.questionCacheBytes } : {}),
        configuredModel: config.embedding.model,
        requireModel: !config.withoutModel,
      }),
    )
    .then((opened) => {
      loadCostMb = Math.round((process.memoryUsage.rss() - rssAtSpawn) / 1048576);
      return opened;
    })
    .catch((error: unknown) => {
      retriever = undefined;
      throw error;
    });
  return retriever;
}

export function memoryReport(): WorkerMemory {
  const usage = process.memoryUsage();
  return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, heapTotalBytes: usage.heapTotal, externalBytes: usage.external, arrayBuffersBytes: usage.arrayBuffers };
}

async function status(load: boolean): Promise<StatusOutput> {
  const loaded = load ? await loadRetriever() : retriever ? await retriever.catch(() => undefined) : undefined;
  return {
    indexLoaded: Boolean(loaded),
    modelLoaded: modelInMemory,
    retrieval: loaded ? loaded.retrieval : null,
    ...(loaded?.degradedReason ? { degradedReason: loaded.degradedReason } : {}),
    chunks: loaded?.index.chunks.length ?? 0,
    model: loaded?.index.manifest.model?.id ?? null,
    indexDir: config.indexDir,
    generation: loaded ? path.basename(loaded.index.dir) : null,
    ...(loaded && loadCostMb !== undefined ? { loadCostMb } : {}),
  };
}

async function embed(texts: string[]): Promise<EmbedOutput> {
  const { embedder: loaded, error } = await loadEmbedder();
  if (!loaded) throw Object.assign(new Error(error ?? 'no embedding model'), { code: 'MODEL_NOT_FOUND' });
  return { dimensions: loaded.dimensions, vectors: await loaded.embed(texts) };
}

function chunksOf(loaded: Retriever | PgRetriever, source: string) {
  return 'chunksOf' in loaded ? loaded.chunksOf(source) : loaded.index.chunks;
}

async function run(task: WorkerTask): Promise<TaskOutputs[keyof TaskOutputs]> {
  switch (task.task) {
    case 'search':
      return (await loadRetriever()).search(task);
    case 'searchBatch': {
      const loaded = await loadRetriever();
      return loaded instanceof Retriever ? searchBatch(loaded, task.searches) : searchEach(loaded, task.searches);
    }
    case 'embed':
      return embed(task.texts);
    case 'status':
      return status(task.load ?? false);
    case 'document':
      return documentText(await chunksOf(await loadRetriever(), task.source), task.source, task.around);
    default:
      throw Object.assign(new Error(`Unknown task ${JSON.stringify((task as { task?: unknown }).task)}`), { code: 'UNKNOWN_TASK' });
  }
}

/** Piscina's entry point. Never throws: failures come back as `{ ok: false, code, message }`. */
export default async function handle(task: WorkerTask): Promise<WorkerResult<TaskOutputs[keyof TaskOutputs]>> {
  try {
    const value = await run(task);
    return { ok: true, value, memory: memoryReport(), state: await status(false) };
  } catch (error) {
    return { ok: false, ...failureOf(error), memory: memoryReport(), state: await status(false) };
  }
}
