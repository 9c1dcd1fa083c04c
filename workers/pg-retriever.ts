/**
 * Hybrid search over the PostgreSQL store (issue 17): the same surface the worker uses from
 * `Retriever` (open, search, scoreSentences, index, retrieval, degradedReason), with the chunks,
 * the vectors (HNSW) and the keyword postings in the database. The model, the question's
 * embedding, fusion and the relevance floors stay here, so both stores answer alike.
 *
 * Stateless across replicas: the live generation is read from the pointer row, checked at most
 * every `pointerCheckMs`, so every server on one database moves to a new generation within that
 * time of a swap, without a restart. Nothing of the corpus is held in this process.
 */
import type { Pool } from 'pg';
import { IndexModelMissingError, ManifestMismatchError } from '../store/errors.js';
import type { Manifest } from '../store/manifest.js';
import { describeDifference, fingerprintDifferences, type KnownModel } from '../store/model-fingerprint.js';
import { chunksAt, chunksOfSource, fullTextRows, nearTermCandidates, readLive, readLiveId, searchCandidates, termPostings, type GenerationInfo, type Postings, type SearchCandidates } from '../store/pg-read.js';
import { BM25, connectPool, isUnavailable, redactUrl, type PoolSettings } from '../store/pg-schema.js';
import type { ChunkRecord } from '../store/chunk-record.js';
import { keywordStems } from '../text/terms.js';
import { dot, sentenceSimilarity as similarityOfSentences } from './sentence-similarity.js';
import type { Embedder } from './embedder.js';
import { DEFAULT_FUSION, fuse, type RankedList } from './fusion.js';
import { MAX_FUZZY_TERMS, MAX_QUERY_TERMS, withinOneEdit } from './lexical-index.js';
import { best as bestTouchedRows } from './lexical-scoring.js';
import type { FusionSettings, QuerySignals, RetrievalMode, SearchHit, SearchOutput, SearchRequest } from './protocol.js';
import { DEFAULT_CACHE_LIMITS, SearchCache } from './search-cache.js';

/** As in workers/lexical-index.ts: typo matching for unknown words this long, at this weight. */
const FUZZY_MIN_LENGTH = 6;
const FUZZY_WEIGHT = 0.5;

/** How often a search re-reads the pointer row (one primary-key lookup) to notice a swap. */
export const DEFAULT_POINTER_CHECK_MS = 1000;

export interface PgRetrieverOptions {
  /** `postgres://...` */
  url: string;
  embedder?: Embedder;
  withoutModelReason?: string;
  fusion?: FusionSettings;
  cacheEntries?: number;
  configuredModel?: string;
  requireModel?: boolean;
  pool?: PoolSettings;
  pointerCheckMs?: number;
  /** The keyword side: our BM25 over term rows (default), or PostgreSQL full-text search (measured; needs `addFullText`). */
  keywordSide?: 'bm25' | 'fulltext';
  /** Opens the pool (default `connectPool`): tests pass one that counts the statements. */
  connect?: (url: string, settings?: PoolSettings) => Promise<Pool>;
}

/** The database cannot be reached: the server answers 503 with Retry-After (server/worker-gate/worker-errors.ts). */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  readonly code = 'DATABASE_UNAVAILABLE';
  constructor(url: string, cause: unknown) {
    super(`the database at ${redactUrl(url)} cannot be reached (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
  }
}

/** No generation was ever made live in this database. */
export class NoGenerationError extends Error {
  override name = 'NoGenerationError';
  readonly code = 'INDEX_NOT_FOUND';
  constructor(url: string) {
    super(`No index in the database at ${redactUrl(url)}: build one with \`npm run prebuild -- --docs <folder> --store <DATABASE_URL>\``);
  }
}

/** What the worker's status and document tasks read, as `LoadedIndex` offers it. */
export interface PgIndexView {
  dir: string;
  manifest: Manifest;
  chunks: { length: number };
}

export class PgRetriever {
  private generation: GenerationInfo;
  private checkedAt = 0;
  private checking: Promise<void> | undefined;
  /** The model's queue: the worker runs several searches at once, the model one call at a time. */
  private modelTurn: Promise<unknown> = Promise.resolve();
  /** Set when the last database call failed for want of the database; cleared by the next success. */
  unavailable: string | undefined;
  cache: SearchCache;

  private constructor(
    private readonly pool: Pool,
    private readonly url: string,
    generation: GenerationInfo,
    readonly embedder: Embedder | undefined,
    private readonly withoutModelReason: string | undefined,
    private readonly fusion: FusionSettings,
    private readonly cacheLimits: typeof DEFAULT_CACHE_LIMITS,
    private readonly pointerCheckMs: number,
    private readonly known: KnownModel | undefined,
    private readonly keywordSide: 'bm25' | 'fulltext',
  ) {
    this.generation = generation;
    this.cache = new SearchCache(cacheLimits);
  }

  static async open({ url, embedder, withoutModelReason, fusion = DEFAULT_FUSION, cacheEntries, configuredModel, requireModel = false, pool: poolSettings, pointerCheckMs = DEFAULT_POINTER_CHECK_MS, keywordSide = 'bm25', connect = connectPool }: PgRetrieverOptions): Promise<PgRetriever> {
    const pool = await connect(url, poolSettings);
    try {
      const generation = await readLive(pool).catch((error: unknown) => {
        throw isUnavailable(error) ? new DatabaseUnavailableError(url, error) : missingSchema(error) ? new NoGenerationError(url) : error;
      });
      if (!generation) throw new NoGenerationError(url);
      const known: KnownModel | undefined = embedder ? embedder.fingerprint : configuredModel ? { id: configuredModel } : undefined;
      checkModel(url, generation, known, embedder, requireModel, withoutModelReason);
      const limits = cacheEntries === undefined ? DEFAULT_CACHE_LIMITS : { ...DEFAULT_CACHE_LIMITS, resultEntries: cacheEntries, vectorEntries: 2 * cacheEntries };
      const retriever = new PgRetriever(pool, url, generation, embedder, withoutModelReason, fusion, limits, pointerCheckMs, known, keywordSide);
      retriever.checkedAt = Date.now();
      return retriever;
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  /** What the worker's status reports: `dir` names the database (password hidden) and the generation. */
  get index(): PgIndexView {
    return { dir: `postgres/${this.generation.id}`, manifest: this.generation.manifest, chunks: { length: this.generation.chunks } };
  }

  get generationId(): string {
    return this.generation.id;
  }

  private get hasVectors(): boolean {
    return this.generation.dimensions > 0;
  }

  get retrieval(): RetrievalMode {
    return this.embedder && this.hasVectors ? 'hybrid' : 'lexical';
  }

  get degradedReason(): string | undefined {
    return this.hasVectors ? this.withoutModelReason : 'the index was built without vectors (lexical only)';
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Run a database call; a failure for want of the database becomes DatabaseUnavailableError and marks the store unavailable. */
  private get poolSize(): number {
    return this.pool.options.max ?? 2;
  }

  private async db<T>(run: () => Promise<T>): Promise<T> {
    try {
      let value: T | undefined;
      // Pooled connections the server closed while they sat idle (a restart): again, on another one, each of them at most once.
      for (let attempt = 0; ; attempt++) {
        try {
          value = await run();
          break;
        } catch (error) {
          if (!diedConnection(error) || attempt >= this.poolSize) throw error;
        }
      }
      this.unavailable = undefined;
      return value;
    } catch (error) {
      if (isUnavailable(error)) {
        const failure = new DatabaseUnavailableError(this.url, error);
        this.unavailable = failure.message;
        throw failure;
      }
      throw error;
    }
  }

  /** Re-read the pointer if it was last read more than `pointerCheckMs` ago (or `force`); move to a new generation when it changed. */
  async refresh(force = false): Promise<void> {
    if (!force && Date.now() - this.checkedAt < this.pointerCheckMs) return;
    this.checking ??= (async () => {
      try {
        const live = await this.db(() => readLiveId(this.pool));
        if (live && live !== this.generation.id) {
          const next = await this.db(() => readLive(this.pool));
          if (next) {
            checkModel(this.url, next, this.known, this.embedder, false, this.withoutModelReason);
            this.generation = next;
            // Remembered searches belong to the generation they searched.
            this.cache = new SearchCache(this.cacheLimits);
          }
        }
        this.checkedAt = Date.now();
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  /** Whether a search embeds its question (a model, vectors in the index, and not keyword-only). */
  wantsVector(request: SearchRequest): boolean {
    return Boolean(this.embedder && this.hasVectors) && request.mode !== 'lexical';
  }

  /**
   * The vectors of a batch's questions that need one (not remembered, not answered whole from the
   * cache), embedded in one model call. On a failure none are: each search embeds alone, and only
   * the one that fails alone fails.
   */
  async questionVectors(searches: SearchRequest[]): Promise<{ vectors: Map<string, Float32Array>; embedMs: number; embedded: number }> {
    const vectors = new Map<string, Float32Array>();
    const pending = new Set<string>();
    for (const request of searches) {
      if (!this.wantsVector(request) || this.cache.hasResult(request) || vectors.has(request.query)) continue;
      const known = this.cache.knownVector(request.query);
      if (known) vectors.set(request.query, known);
      else pending.add(request.query);
    }
    const questions = [...pending];
    if (!questions.length) return { vectors, embedMs: 0, embedded: 0 };
    const started = performance.now();
    const embedder = this.embedder!;
    const packed = await this.withModel(() => embedder.embedQuestions(questions)).catch(() => undefined);
    questions.forEach((question, i) => {
      if (!packed) return;
      const vector = packed.subarray(i * embedder.dimensions, (i + 1) * embedder.dimensions);
      vectors.set(question, vector);
      this.cache.rememberVector(question, vector);
    });
    return { vectors, embedMs: performance.now() - started, embedded: packed ? questions.length : 0 };
  }

  /** `run` once the model's earlier calls have ended: several searches in flight share one model, one call at a time. */
  private withModel<T>(run: () => Promise<T>): Promise<T> {
    const turn = this.modelTurn.then(run, run);
    this.modelTurn = turn.catch(() => undefined);
    return turn;
  }

  /** Search the live generation. `vector`: the question's, already embedded (a batch's). */
  async search(request: SearchRequest, vector?: Float32Array): Promise<SearchOutput> {
    await this.refresh();
    const known = this.cache.result(request);
    if (known) return known;
    let output: SearchOutput;
    try {
      output = await this.searchGeneration(request, this.generation, vector);
    } catch (error) {
      // The generation was dropped under us (two swaps since our last pointer check): read the pointer, once more.
      if (!missingSchema(error)) throw error;
      await this.refresh(true);
      output = await this.searchGeneration(request, this.generation, vector);
    }
    this.cache.remember(request, output);
    return output;
  }

  /** Every chunk of one source document (the document task), from the live generation. */
  async chunksOf(source: string): Promise<ChunkRecord[]> {
    await this.refresh();
    const generation = this.generation;
    return this.db(() => chunksOfSource(this.pool, generation, source));
  }

  private async searchGeneration({ query, topK, filter, mode, sentences }: SearchRequest, generation: GenerationInfo, vector: Float32Array | undefined): Promise<SearchOutput> {
    const prefix = filter?.source;
    const depth = Math.max(this.fusion.depth, topK);
    const canVector = Boolean(this.embedder && this.hasVectors);
    const useVector = canVector && mode !== 'lexical';
    const useLexical = mode !== 'vector' || !canVector;
    const started = performance.now();
    let embedMs = 0;
    let corpusSimilarity: number | null = null;
    let queryVector: Float32Array | undefined;
    if (useVector) {
      const embedder = this.embedder!;
      queryVector = vector ?? (await this.cache.vector(query, () => this.withModel(() => embedder.embedQuestion(query))));
      embedMs = performance.now() - started;
      corpusSimilarity = generation.centroid ? dot(generation.centroid, queryVector) : null;
    }
    // One statement for both sides. Keyword search runs in vector mode too, for one hit: its score is an abstention signal.
    const terms = [...new Set(keywordStems(query))].slice(0, MAX_QUERY_TERMS);
    const candidates = await this.db(() => searchCandidates(this.pool, generation, { ...(useVector ? { vector: queryVector! } : {}), limit: depth, terms, ...(prefix ? { sourcePrefix: prefix } : {}) }));
    const vectorHits = candidates.nearest;
    const keyword = await this.keywordSearch(generation, query, terms, candidates, useLexical ? depth : 1, prefix);
    const lists: RankedList[] = [];
    if (useVector) lists.push({ name: 'vector', weight: this.fusion.vectorWeight, hits: vectorHits });
    if (useLexical) lists.push({ name: 'lexical', weight: this.fusion.lexicalWeight, hits: keyword.hits });
    const retrieval: RetrievalMode = useVector && useLexical ? 'hybrid' : useVector ? 'vector' : 'lexical';
    const fused = (lists.length > 1 ? fuse(lists, this.fusion) : singleList(lists[0]!)).slice(0, topK);
    const chunks = await this.db(() => chunksAt(this.pool, generation, fused.map((hit) => hit.row)));
    const hits: SearchHit[] = fused.map((hit, i) => {
      const chunk = chunks[i]!;
      return { id: chunk.id, source: chunk.source, title: chunk.title, headings: chunk.headings, start: chunk.start, end: chunk.end, ...(chunk.page !== undefined ? { page: chunk.page } : {}), text: chunk.text, score: hit.score, scores: { ...(hit.vector ? { vector: hit.vector } : {}), ...(hit.lexical ? { lexical: hit.lexical } : {}) } };
    });
    const bestKeywordScore = keyword.best;
    const signals: QuerySignals = { unknownTerms: keyword.unknownTerms, keywordMatch: keyword.maxScore > 0 ? Math.min(1, bestKeywordScore / keyword.maxScore) : null, corpusSimilarity };
    const searchMs = performance.now() - started - embedMs;
    let sentenceSimilarity: Record<string, number> | undefined;
    if (sentences === true && queryVector) {
      const sentencesStarted = performance.now();
      const embedder = this.embedder!;
      const question = queryVector;
      sentenceSimilarity = await this.withModel(() => similarityOfSentences(embedder, hits, question));
      embedMs += performance.now() - sentencesStarted;
    }
    const calibration = generation.manifest.relevance;
    return {
      hits,
      retrieval,
      query: signals,
      ...(retrieval === 'lexical' && this.degradedReason ? { degradedReason: this.degradedReason } : {}),
      ...(sentenceSimilarity ? { sentenceSimilarity } : {}),
      ...(calibration && retrieval !== 'lexical' ? { calibration: { minSimilarity: calibration.minSimilarity, minCorpusSimilarity: calibration.minCorpusSimilarity, minCoverage: calibration.minCoverage, minKeywordMatch: calibration.minKeywordMatch } } : {}),
      timings: { embedMs, searchMs },
    };
  }

  /**
   * Our BM25 (workers/lexical-index.ts) over the term rows: the same terms, typo matching, ceiling
   * and scores as the file store. The database hands over the query's postings (one round trip,
   * packed bytes); the sum is done here, as the file store does it: in SQL, unnesting and grouping
   * the postings of common words cost 250 ms a query at 50,000 chunks on this busy machine.
   */
  private async keywordSearch(generation: GenerationInfo, query: string, terms: string[], candidates: SearchCandidates, limit: number, prefix?: string): Promise<{ hits: { row: number; score: number }[]; best: number; unknownTerms: string[]; maxScore: number }> {
    const { postings, under: accept } = candidates;
    const unseenIdf = Math.log(1 + (generation.chunks + 0.5) / 0.5);
    const weights = new Map<string, number>();
    const unknownTerms: string[] = [];
    let idfSum = 0;
    let fuzzyLookups = 0;
    for (const term of terms) {
      const known = postings.get(term);
      if (known) {
        weights.set(term, 1);
        idfSum += known.idf;
        continue;
      }
      idfSum += unseenIdf;
      const near = term.length >= FUZZY_MIN_LENGTH && fuzzyLookups++ < MAX_FUZZY_TERMS ? (await this.db(() => nearTermCandidates(this.pool, generation, term))).filter((candidate) => withinOneEdit(term, candidate)) : [];
      if (near.length === 0) unknownTerms.push(term);
      for (const nearTerm of near) if (!weights.has(nearTerm)) weights.set(nearTerm, FUZZY_WEIGHT);
    }
    const missing = [...weights.keys()].filter((term) => !postings.has(term));
    if (missing.length) for (const [term, list] of await this.db(() => termPostings(this.pool, generation, missing))) postings.set(term, list);
    const scored = this.addUp(generation.chunks, weights, postings, accept, this.keywordSide === 'fulltext' ? 1 : limit);
    const best = scored[0]?.score ?? 0;
    // Full-text ranks the list when chosen; the abstention signal stays BM25's best over its ceiling.
    const hits = this.keywordSide === 'fulltext' ? await this.db(() => fullTextRows(this.pool, generation, query, limit, prefix)) : scored.slice(0, limit);
    return { hits, best, unknownTerms, maxScore: idfSum * (BM25.k1 + 1) };
  }

  /** Reused by every search (the sum runs without awaiting, so searches never share it): zeroed again where touched. */
  private scratch = new Float32Array(0);
  private touchedRows = new Uint32Array(0);

  /**
   * BM25 sums over the postings only (the rows they touch), in float32 as the file store adds
   * them: the same scores and order, without allocating and walking an array of every chunk.
   */
  private addUp(chunks: number, weights: Map<string, number>, postings: Map<string, Postings>, accept: Set<number> | undefined, limit: number): { row: number; score: number }[] {
    if (this.scratch.length < chunks) {
      this.scratch = new Float32Array(chunks);
      this.touchedRows = new Uint32Array(chunks);
    }
    const scores = this.scratch;
    let touchedCount = 0;
    for (const [term, weight] of weights) {
      const list = postings.get(term);
      if (!list) continue;
      const factor = weight * list.idf;
      for (let i = 0; i < list.rows.length; i++) {
        const row = list.rows[i]!;
        // Every part is positive: a zero score is a row not touched yet.
        if (scores[row] === 0) this.touchedRows[touchedCount++] = row;
        scores[row]! += factor * list.parts[i]!;
      }
    }
    const touched = this.touchedRows.subarray(0, touchedCount);
    // Rows of a common word run to the hundred thousand at 250,000 chunks: one pass keeps the best in a small heap (the file store's).
    try {
      return bestTouchedRows(scores, touched, limit, accept ? (row) => accept.has(row) : undefined);
    } finally {
      for (const row of touched) scores[row] = 0;
    }
  }

  /** The same scores for hits found earlier (the eval scores the passages it answers from); null without a model. */
  async scoreSentences(query: string, hits: SearchHit[]): Promise<Record<string, number> | null> {
    if (!this.embedder) return null;
    const embedder = this.embedder;
    const vector = await this.cache.vector(query, () => this.withModel(() => embedder.embedQuestion(query)));
    return this.withModel(() => similarityOfSentences(embedder, hits, vector));
  }
}

/** Refuse a generation built by another model, or with vectors when the model is required and missing (as `Retriever.open`). */
function checkModel(url: string, generation: GenerationInfo, known: KnownModel | undefined, embedder: Embedder | undefined, requireModel: boolean, withoutModelReason: string | undefined): void {
  const built = generation.manifest.model;
  const where = `${redactUrl(url)} (generation ${generation.id})`;
  if (built && known) {
    const differences = fingerprintDifferences(built, known);
    if (differences.length) throw new ManifestMismatchError(where, differences.map(describeDifference));
  }
  if (built && !embedder && requireModel) throw new IndexModelMissingError(where, built.id, withoutModelReason ?? 'no model');
}

/** A connection that was open and is no more (server shutdown or restart, reset), as opposed to one that cannot be made. */
function diedConnection(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : '';
  return code === '57P01' || code === 'ECONNRESET' || code === 'EPIPE' || /Connection terminated|terminating connection/i.test(message);
}

/** `undefined_table` (42P01): the schema or a generation's tables are not (or no longer) there. */
function missingSchema(error: unknown): boolean {
  return (error as { code?: unknown }).code === '42P01';
}

function singleList(list: RankedList): { row: number; score: number; vector?: { rank: number; score: number }; lexical?: { rank: number; score: number } }[] {
  return list.hits.map((hit, index) => ({ row: hit.row, score: hit.score, [list.name]: { rank: index + 1, score: hit.score } }));
}

