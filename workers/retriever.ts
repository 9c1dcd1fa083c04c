import { readDocuments, readIndex, type LoadedIndex, type VectorPrecision } from '../store/index-files.js';
import { IndexModelMissingError, ManifestMismatchError } from '../store/errors.js';
import { describeDifference, fingerprintDifferences, type KnownModel } from '../store/model-fingerprint.js';
import { dot, sentenceSimilarity as similarityOfSentences, storedSentenceSimilarity } from './sentence-similarity.js';
import { SENTENCE_SPLITTER_REVISION } from '../text/sentences.js';
import type { Embedder } from './embedder.js';
import { DEFAULT_FUSION, fuse, type RankedList } from './fusion.js';
import { LexicalIndex } from './lexical-index.js';
import type { FusionSettings, QuerySignals, RetrievalMode, SearchHit, SearchOutput, SearchRequest } from './protocol.js';
import { DEFAULT_PROBE_REACH, ivfSearch, quantizedSearch, vectorSearch } from './vector-search.js';
import { DEFAULT_CACHE_LIMITS, SearchCache } from './search-cache.js';
import { ExactRows } from './exact-rows.js';

/** Candidates beyond those asked for that an int8 search rescores exactly: int8 rounding can reorder near neighbours. */
const RESCORED_EXTRA = 32;
/**
 * Lists of an IVF index scanned per search (see store/ivf-index.ts). With about √rows / 2 lists,
 * 64 scan a quarter of a 250,000-chunk index; `npm run bench:scale` measured recall@10 against the
 * exact scan, static model: 0.964 at 64 lists of 250, 0.931 at 48, 0.856 at 24 (more of a smaller
 * index's lists, so its recall is higher).
 */
export const DEFAULT_IVF_PROBES = 64;

/** What `Retriever.open` opens, and with what. */
export interface RetrieverOptions {
  /** An index folder (its live generation is opened), or a generation folder itself. */
  indexDir: string;
  /** The loaded model. Without it, or for an index with no vectors, search is lexical. */
  embedder?: Embedder;
  /** Why there is no embedder; reported as the reason search is lexical. */
  withoutModelReason?: string;
  /** Default `DEFAULT_FUSION`. */
  fusion?: FusionSettings;
  /** Whole searches remembered for identical repeats (question vectors: twice as many); 0 remembers nothing. Default DEFAULT_CACHE_LIMITS. */
  cacheEntries?: number;
  /** Bytes the question vectors may take; default DEFAULT_CACHE_LIMITS. */
  questionCacheBytes?: number;
  /** `int8` (default): vectors held as int8 and the best candidates rescored exactly from disk; `float32`: all held exactly. */
  precision?: VectorPrecision;
  /**
   * For a worker that leaves the model unloaded on purpose: the model it is configured with. An
   * index built by another model is refused all the same, rather than served by keywords until
   * the model loads.
   */
  configuredModel?: string;
  /**
   * Refuse (IndexModelMissingError) an index with vectors when there is no embedder, rather than
   * search it by keywords alone: the server's worker, whose model files should have shipped with
   * the index. A worker left without the model on purpose (memory) does not set it.
   */
  requireModel?: boolean;
  /** Lists an IVF index (large indexes only) scans per search; default DEFAULT_IVF_PROBES. */
  ivfProbes?: number;
  /** An int8 index whose exact rows fit in this many bytes keeps them once read (see ExactRows); default DEFAULT_HELD_ROWS_BYTES, 0 reads them from disk every time. */
  heldRowsBytes?: number;
}

/** Hybrid search over one loaded index generation; the embedder is optional (lexical fallback). */
export class Retriever {
  private constructor(
    readonly index: LoadedIndex,
    private readonly lexical: LexicalIndex,
    readonly embedder: Embedder | undefined,
    readonly degradedReason: string | undefined,
    private readonly fusion: FusionSettings,
    /** Unit-length mean of the chunk vectors; null without vectors. */
    private readonly centroid: Float32Array | null,
    /** Recent questions' vectors and searches, for this generation only (see SearchCache). */
    readonly cache: SearchCache,
    private readonly ivfProbes: number,
    heldRowsBytes: number | undefined,
  ) {
    this.exactRows = index.quantized ? new ExactRows(index.dir, index.quantized.dimensions, index.quantized.rows, heldRowsBytes) : undefined;
  }

  /** The exact rows the int8 search rescores from; its file stays open between searches, and a small index's rows are held once read. */
  private readonly exactRows: ExactRows | undefined;

  /**
   * Open the live generation of `indexDir`. Refuses (ManifestMismatchError) an index built by
   * another model than the embedder, or than `configuredModel`.
   */
  static async open({ indexDir, embedder, withoutModelReason, fusion = DEFAULT_FUSION, configuredModel, requireModel = false, cacheEntries, questionCacheBytes, precision = 'int8', ivfProbes = DEFAULT_IVF_PROBES, heldRowsBytes }: RetrieverOptions): Promise<Retriever> {
    const index = await readIndex(indexDir, precision, { sentenceSplitter: SENTENCE_SPLITTER_REVISION });
    try {
      return await Retriever.fromIndex(index, { indexDir, embedder, withoutModelReason, fusion, configuredModel, requireModel, cacheEntries, questionCacheBytes, ivfProbes, heldRowsBytes });
    } catch (error) {
      index.chunks.close();
      throw error;
    }
  }

  private static async fromIndex(index: LoadedIndex, { indexDir, embedder, withoutModelReason, fusion, configuredModel, requireModel, cacheEntries, questionCacheBytes, ivfProbes, heldRowsBytes }: Required<Pick<RetrieverOptions, 'fusion' | 'requireModel' | 'ivfProbes'>> & RetrieverOptions): Promise<Retriever> {
    const built = index.manifest.model;
    const known: KnownModel | undefined = embedder ? embedder.fingerprint : configuredModel ? { id: configuredModel } : undefined;
    if (built && known) {
      const differences = fingerprintDifferences(built, known);
      if (differences.length) throw new ManifestMismatchError(indexDir, differences.map(describeDifference));
    }
    if (built && !embedder && requireModel) {
      throw new IndexModelMissingError(indexDir, built.id, withoutModelReason ?? 'no model');
    }
    const lexical = await LexicalIndex.open(index.lexical.file);
    let reason = withoutModelReason;
    if (!built) reason = 'the index was built without vectors (lexical only)';
    const dimensions = built?.dimensions ?? 0;
    const entries = cacheEntries === undefined ? {} : { resultEntries: cacheEntries, vectorEntries: 2 * cacheEntries };
    const cache = new SearchCache({ ...DEFAULT_CACHE_LIMITS, ...entries, ...(questionCacheBytes === undefined ? {} : { vectorBytes: questionCacheBytes }) });
    return new Retriever(index, lexical, built ? embedder : undefined, reason, fusion, index.quantized?.centroid ?? (index.vectors && dimensions ? unitMean(index.vectors, dimensions) : null), cache, ivfProbes, heldRowsBytes);
  }

  get retrieval(): RetrievalMode {
    return this.embedder && this.hasVectors ? 'hybrid' : 'lexical';
  }

  /** Whether `request` would embed its question (a batch embeds those together first). */
  wantsVector(request: SearchRequest): boolean {
    return Boolean(this.embedder && this.hasVectors) && request.mode !== 'lexical';
  }

  /**
   * Search the index; `mode` forces one side (default hybrid, or lexical without a model). An identical
   * recent search is answered from the cache. `vector`: the question's, already embedded (a batch's).
   */
  async search(request: SearchRequest, vector?: Float32Array): Promise<SearchOutput> {
    const known = this.cache.result(request);
    if (known) return known;
    const output = await this.searchIndex(request, vector);
    this.cache.remember(request, output);
    return output;
  }

  private async searchIndex({ query, topK, filter, mode, sentences }: SearchRequest, vector?: Float32Array): Promise<SearchOutput> {
    const { chunks } = this.index;
    const prefix = filter?.source;
    const accept = prefix ? chunks.sourceFilter(prefix) : undefined;
    const depth = Math.max(this.fusion.depth, topK);
    const canVector = Boolean(this.embedder && this.hasVectors);
    const useVector = canVector && mode !== 'lexical';
    const useLexical = mode !== 'vector' || !canVector;
    const lists: RankedList[] = [];
    const started = performance.now();
    let embedMs = 0;
    let corpusSimilarity: number | null = null;
    let queryVector: Float32Array | undefined;
    if (useVector) {
      queryVector = vector ?? (await this.cache.vector(query, () => this.embedder!.embedQuestion(query)));
      embedMs = performance.now() - started;
      corpusSimilarity = this.centroid ? dot(this.centroid, queryVector) : null;
      lists.push({ name: 'vector', weight: this.fusion.vectorWeight, hits: this.nearest(queryVector, depth, accept) });
    }
    // Keyword search runs in vector mode too, for one hit: its score is an abstention signal.
    const keyword = this.lexical.search(query, useLexical ? depth : 1, accept);
    if (useLexical) lists.push({ name: 'lexical', weight: this.fusion.lexicalWeight, hits: keyword.hits });
    const retrieval: RetrievalMode = useVector && useLexical ? 'hybrid' : useVector ? 'vector' : 'lexical';
    const fused = lists.length > 1 ? fuse(lists, this.fusion) : singleList(lists[0]!);
    const top = fused.slice(0, topK);
    const hits: SearchHit[] = top.map((hit) => {
      const chunk = chunks.get(hit.row);
      return { id: chunk.id, source: chunk.source, title: chunk.title, headings: chunk.headings, start: chunk.start, end: chunk.end, ...(chunk.page !== undefined ? { page: chunk.page } : {}), text: chunk.text, score: hit.score, scores: { ...(hit.vector ? { vector: hit.vector } : {}), ...(hit.lexical ? { lexical: hit.lexical } : {}) } };
    });
    const { maxScore, unknownTerms } = keyword.profile;
    const bestKeywordScore = keyword.hits[0]?.score ?? 0;
    const signals: QuerySignals = { unknownTerms, keywordMatch: maxScore > 0 ? Math.min(1, bestKeywordScore / maxScore) : null, corpusSimilarity };
    const searchMs = performance.now() - started - embedMs;
    let sentenceSimilarity: Record<string, number> | undefined;
    if (sentences && queryVector) {
      const sentencesStarted = performance.now();
      sentenceSimilarity = await this.similarity(hits.map((hit, i) => ({ row: top[i]!.row, text: hit.text })), hits, queryVector, sentences);
      embedMs += performance.now() - sentencesStarted;
    }
    const calibration = this.index.manifest.relevance;
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

  private get hasVectors(): boolean {
    return Boolean(this.index.vectors ?? this.index.quantized);
  }

  /**
   * The `limit` rows closest to the query, with exact cosines. Held as int8, the rows are ranked
   * approximately, and the best `limit + RESCORED_EXTRA` are read exactly from disk and ranked again:
   * a quarter of the memory, the same results (see __tests__/workers/quantized-search.test.ts).
   */
  private nearest(query: Float32Array, limit: number, accept?: (row: number) => boolean): { row: number; score: number }[] {
    const { vectors, quantized } = this.index;
    if (vectors) return vectorSearch(vectors, this.embedder!.dimensions, query, limit, accept);
    // A filtered search scans every row: the nearest lists may hold too few of the accepted ones.
    const { ivf } = this.index;
    const candidates = ivf && !accept ? ivfSearch(quantized!, ivf, query, limit + RESCORED_EXTRA, this.ivfProbes, DEFAULT_PROBE_REACH) : quantizedSearch(quantized!, query, limit + RESCORED_EXTRA, accept);
    const exact = this.exactRows!.read(candidates.map((c) => c.row));
    return candidates
      .map((candidate, i) => ({ row: candidate.row, score: dot(exact[i]!, query) }))
      .sort((a, b) => b.score - a.score || a.row - b.row)
      .slice(0, limit);
  }

  /** Whether this generation scores sentences from stored vectors (no model call); see `SearchTask.sentences`. */
  get storedSentences(): boolean {
    return Boolean(this.index.sentences && this.embedder);
  }

  /**
   * The hits' sentences' cosines with the question: from the stored sentence vectors when the
   * generation has them, else by embedding them (`sentences: true` only). Undefined when neither.
   */
  private async similarity(rows: { row: number; text: string }[], hits: SearchHit[], queryVector: Float32Array, sentences: true | 'stored'): Promise<Record<string, number> | undefined> {
    const stored = this.index.sentences ? storedSentenceSimilarity(this.index.sentences, rows, queryVector) : null;
    if (stored) return stored;
    return sentences === true ? similarityOfSentences(this.embedder!, hits, queryVector) : undefined;
  }

  /** Release the files kept open for searches (chunk records, keyword postings, exact vectors, sentence vectors). Searching again reopens them. */
  close(): void {
    this.index.chunks.close();
    this.lexical.close();
    this.exactRows?.close();
    this.index.sentences?.close();
  }

  /** The same scores for hits found earlier (the eval scores the passages it answers from); null without a model. */
  async scoreSentences(query: string, hits: SearchHit[]): Promise<Record<string, number> | null> {
    if (!this.embedder) return null;
    const embedder = this.embedder;
    const vector = await this.cache.vector(query, () => embedder.embedQuestion(query));
    const { sentences } = this.index;
    const rows = sentences ? await this.rowsOf(hits) : null;
    return (rows && sentences ? storedSentenceSimilarity(sentences, rows, vector) : null) ?? similarityOfSentences(embedder, hits, vector);
  }

  /** Each hit's row, found by its source and id (the evaluation's path, not the server's); null if one is not in this generation. */
  private async rowsOf(hits: SearchHit[]): Promise<{ row: number; text: string }[] | null> {
    this.firstRows ??= new Map((await readDocuments(this.index.dir)).map((doc) => [doc.source, doc.firstChunk]));
    const rows: { row: number; text: string }[] = [];
    for (const hit of hits) {
      const first = this.firstRows.get(hit.source);
      const at = first === undefined ? -1 : this.index.chunks.ofSource(hit.source).findIndex((chunk) => chunk.id === hit.id);
      if (first === undefined || at < 0) return null;
      rows.push({ row: first + at, text: hit.text });
    }
    return rows;
  }

  /** Each source's first row, read when the evaluation first scores sentences. */
  private firstRows: Map<string, number> | undefined;
}

function singleList(list: RankedList): { row: number; score: number; vector?: { rank: number; score: number }; lexical?: { rank: number; score: number } }[] {
  return list.hits.map((hit, index) => ({ row: hit.row, score: hit.score, [list.name]: { rank: index + 1, score: hit.score } }));
}

/** The mean of the rows of `vectors`, scaled to unit length (null if they cancel out). */
function unitMean(vectors: Float32Array, dimensions: number): Float32Array | null {
  const mean = new Float32Array(dimensions);
  for (let at = 0; at < vectors.length; at += dimensions) for (let d = 0; d < dimensions; d++) mean[d]! += vectors[at + d]!;
  const norm = Math.hypot(...mean);
  if (!(norm > 1e-9)) return null;
  for (let d = 0; d < dimensions; d++) mean[d]! /= norm;
  return mean;
}

