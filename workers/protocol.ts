/**
 * The thread protocol between the server and the worker: task names, inputs and outputs. Types
 * only. Errors do not survive postMessage as classes, so every result is a tagged union.
 */
import type { EmbeddingConfig, ModelFileHash } from './model-config.js';

export interface SearchFilter {
  /** Keep only chunks whose source path starts with this prefix. */
  source?: string;
}

export type RetrievalMode = 'hybrid' | 'vector' | 'lexical';

export interface EmbedTask {
  task: 'embed';
  texts: string[];
}

export interface SearchTask {
  task: 'search';
  query: string;
  topK: number;
  filter?: SearchFilter;
  /** Force one side; default hybrid (or lexical when no model could be loaded). */
  mode?: RetrievalMode;
  /**
   * Also score the hits' quotable sentences by meaning (`sentenceSimilarity`), for an extractive
   * answer. `true`: from the index's stored sentence vectors, or by embedding the sentences when it
   * has none; `'stored'`: from stored vectors only (a read, no model call), else not at all.
   */
  sentences?: boolean | 'stored';
}

/** Load the index and model now (warm-up) and report what is loaded. */
export interface StatusTask {
  task: 'status';
  load?: boolean;
}

/** One document's text as the index holds it, to show a citation in context. */
export interface DocumentTask {
  task: 'document';
  source: string;
  /** The cited span (offsets into the cleaned document): a document too long to return whole is cut around it. */
  around?: { start: number; end: number };
}

/** A search as the main thread asks for it: the task without its name. */
export type SearchRequest = Omit<SearchTask, 'task'>;

/**
 * Several waiting searches at once (the gate's micro-batch): their questions are embedded in one
 * model call, then each is searched. Each search succeeds or fails on its own.
 */
export interface SearchBatchTask {
  task: 'searchBatch';
  searches: SearchRequest[];
}

export type WorkerTask = EmbedTask | SearchTask | StatusTask | DocumentTask | SearchBatchTask;

/** Memory as seen from inside the worker: its own V8 heap, and the process RSS. */
export interface WorkerMemory {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
}

export interface SearchHit {
  id: string;
  source: string;
  title: string;
  headings: string[];
  start: number;
  end: number;
  /** The page of a PDF the passage is on (1-based); absent for formats without pages. */
  page?: number;
  text: string;
  /** Fused score (see FusionSettings), or the single retriever's score when only one ran. */
  score: number;
  scores: {
    vector?: { rank: number; score: number };
    lexical?: { rank: number; score: number };
  };
}

/** What the indexes say about the query as a whole: the abstention rule's signals beyond the hits. */
export interface QuerySignals {
  /** The query's keyword stems that no chunk holds, not even one edit away. */
  unknownTerms: string[];
  /**
   * Best BM25 score over the most the query could score (every term, saturated; see
   * LexicalIndex.profile): how much of the query, weighted by rarity, the best passage matches.
   * 0 to 1, whatever the corpus; null for a query with no keyword terms.
   */
  keywordMatch: number | null;
  /** Cosine between the query and the mean of all chunk vectors: how like the documents it is. Null without vectors. */
  corpusSimilarity: number | null;
}

/** The model-dependent abstention floors an index carries; see store/manifest.ts RelevanceCalibration. */
export interface IndexFloors {
  minSimilarity: number;
  minCorpusSimilarity: number;
  minCoverage: number;
  minKeywordMatch: number;
}

export interface SearchOutput {
  hits: SearchHit[];
  retrieval: RetrievalMode;
  /** Optional so that stand-in search functions need not invent it; the worker always sets it. */
  query?: QuerySignals;
  /** Why retrieval is not hybrid, when it is not. */
  degradedReason?: string;
  /** Asked for with `sentences` and when the model is loaded: each quotable sentence of the hits (see workers/sentences.ts) and its cosine with the query. */
  sentenceSimilarity?: Record<string, number>;
  /** The abstention floors this index's build measured for its model (manifest `relevance`); absent for a lexical search or an older index. */
  calibration?: IndexFloors;
  /** `embedMs` includes embedding the sentences, when asked for. */
  timings: { embedMs: number; searchMs: number };
}

export interface EmbedOutput {
  dimensions: number;
  /** Row-major, one unit-length row per input text. */
  vectors: Float32Array;
}

export interface StatusOutput {
  indexLoaded: boolean;
  modelLoaded: boolean;
  retrieval: RetrievalMode | null;
  degradedReason?: string;
  chunks: number;
  model: string | null;
  indexDir: string;
  generation: string | null;
  /** What this worker added to the process RSS, from just before it was created until its index (and model, if any) were ready (MB). */
  loadCostMb?: number;
}

/**
 * A document's cleaned text as its chunks hold it. Each segment maps the cleaned document's offsets
 * `[start, end)` (as citations carry them) to position `at` in `text`; between segments the index
 * kept no text, and `text` shows a paragraph break there.
 */
export interface DocumentOutput {
  source: string;
  title: string;
  text: string;
  segments: { start: number; end: number; at: number }[];
  /** The document was longer than one response holds: `text` is a window around the requested span. */
  truncated: boolean;
}

/** One search of a batch: its output, or why it failed (the codes a lone search fails with). */
export type BatchItem<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export interface SearchBatchOutput {
  /** In the order of the task's `searches`. */
  results: BatchItem<SearchOutput>[];
  /** The one model call for the batch's questions not already known (0 when none was needed). */
  embedMs: number;
  /** Questions embedded in that call. */
  embedded: number;
}

export interface TaskOutputs {
  embed: EmbedOutput;
  search: SearchOutput;
  searchBatch: SearchBatchOutput;
  status: StatusOutput;
  /** Null when no chunk of the index comes from that source. */
  document: DocumentOutput | null;
}

/**
 * Every result carries the worker's memory and what it has loaded, so the server can report both
 * (`/api/memory`, `/readyz`) without queueing a task behind searches.
 */
export type WorkerResult<T> =
  | { ok: true; value: T; memory: WorkerMemory; state: StatusOutput }
  | { ok: false; code: string; message: string; memory: WorkerMemory; state: StatusOutput };

export interface FusionSettings {
  /** `weighted`: a weighted sum of the cosine and of BM25 over the query's best BM25; `rrf`: reciprocal rank fusion. */
  method: 'weighted' | 'rrf';
  /** RRF's rank constant (`rrf` only). */
  k: number;
  vectorWeight: number;
  lexicalWeight: number;
  depth: number;
}

/** What the pool passes to the worker as `workerData`. */
export interface WorkerConfig {
  indexDir: string;
  /** A `postgres://` URL: the PostgreSQL store (workers/pg-retriever.ts) instead of `indexDir`. */
  indexStore?: string;
  embedding: EmbeddingConfig;
  /** Defaults to `DEFAULT_FUSION` in workers/fusion.ts. */
  fusion?: FusionSettings;
  /** Searches remembered for identical repeats (`SEARCH_CACHE_ENTRIES`; 0: none); default DEFAULT_CACHE_LIMITS. */
  searchCacheEntries?: number;
  /** Bytes the remembered question vectors may take (`QUESTION_CACHE_KB`); default DEFAULT_CACHE_LIMITS. */
  questionCacheBytes?: number;
  /** Set when the model admission keeps this worker from loading the model: why. It then searches by keyword. */
  withoutModel?: string;
  /** Process RSS just before this worker was created: what it adds is measured from here. */
  rssAtSpawnBytes?: number;
  /** The model file's sha256 as the boot check took it: the worker reuses it while the file is unchanged, instead of reading ~23 to 90 MB again. */
  modelFile?: ModelFileHash;
}
