/** The manifest beside every index generation: what built it, from what, and with which model. */
export interface ModelFingerprint {
  /** Model id as configured, e.g. `Xenova/paraphrase-MiniLM-L3-v2`. */
  id: string;
  dimensions: number;
  /** sha256 of the ONNX file the vectors came from. */
  fileSha256: string;
  dtype: string;
  pooling: 'mean';
  /** Longest input, in the model's tokens, that it reads without truncation. */
  maxTokens: number;
  /**
   * The model hub revision (branch or commit) the files were fetched at by `npm run build:index`;
   * absent for a model put in the models folder by hand, or an index built before it was recorded.
   */
  revision?: string;
}

export interface ChunkingParams {
  maxTokens: number;
  overlapTokens: number;
  /** Revision of the cleaner and chunker; a change means no chunk of an older build is reused. */
  revision: number;
}

export interface Manifest {
  formatVersion: 2;
  tool: { name: string; version: string };
  createdAt: string;
  /** `null` for a lexical-only index (built when no embedding model could be had). */
  model: ModelFingerprint | null;
  chunking: ChunkingParams;
  corpus: {
    /** sha256 over every document's source path and content hash, in path order. */
    hash: string;
    documents: number;
    skipped: number;
    chunks: number;
    tokens: number;
  };
  files: { chunks: string; chunkOffsets?: string; vectors: string | null; lexical: string; documents: string; vectra: string | null; ivf?: string | null };
  /**
   * Present when the build embedded every chunk's quotable sentences (`FILES.sentenceVectors`), for
   * extractive answers scored by meaning without a model call. `splitterRevision` is the sentence
   * splitter's (text/sentences.ts) at build time: a reader whose splitter differs ignores the file.
   */
  sentenceVectors?: { file: string; sentences: number; splitterRevision: number };
  /** Retrieval figures measured before the generation went live; absent when built without `--eval`. */
  quality?: QualityRecord;
  /** The abstention floors that belong to this corpus and model, measured at build time; absent for a lexical-only index or an older build. */
  relevance?: RelevanceCalibration;
  /**
   * sha256 of each data file as written (file name → hex digest), checked whenever the generation is
   * opened: a truncated or altered file is refused, never served. Absent in builds older than the check.
   */
  checksums?: Record<string, string>;
}

/** Low, middle and high of a measured distribution. */
export interface ScoreSpread {
  p50: number;
  p90: number;
  max: number;
}

/**
 * How unrelated questions score on this index with its model, and the floors derived from that.
 * Cosines live on each model's own scale, and the best of more chunks is higher, so a floor fixed
 * for one index refuses paraphrases on a small one and lets unrelated questions through on a large one.
 */
export interface RelevanceCalibration {
  /** Best passage cosine under which the meaning side counts as weak (ABSTAIN_MIN_SIMILARITY). */
  minSimilarity: number;
  /** Cosine with the corpus mean under which a question is unlike the documents (ABSTAIN_MIN_CORPUS_SIMILARITY). */
  minCorpusSimilarity: number;
  /** The hybrid rule's keyword floors (ABSTAIN_MIN_COVERAGE, ABSTAIN_MIN_KEYWORD_MATCH): scale-free, fitted across corpora, recorded with the floors they were fitted beside. */
  minCoverage: number;
  minKeywordMatch: number;
  /** Which quantiles of the unrelated questions' scores the similarity floors are. */
  method: { revision: number; unrelatedQuestions: number; similarityQuantile: number; corpusQuantile: number };
  unrelated: { similarity: ScoreSpread; corpusSimilarity: ScoreSpread };
}

/** How well a generation answered a labelled questions file, in the mode the service would use. */
export interface QualityRecord {
  /** sha256 of the questions file's bytes: figures compare only between runs of the same file. */
  questionsSha256: string;
  /** The questions file as it was named to the build. */
  questionsFile: string;
  /** Answerable questions scored (off-topic ones do not count towards recall). */
  questions: number;
  recallAt5: number;
  mrrAt10: number;
  ndcgAt10: number;
  recallAt1: number;
  /** `hybrid`, or `lexical` for an index without vectors. */
  mode: 'hybrid' | 'lexical';
  evaluatedAt: string;
}

/**
 * 2: chunk records as lines read by offset (chunks.jsonl + chunks.offsets), the keyword index binary
 * (lexical.bin), an IVF file for large indexes. An index of another version is stale: the build
 * step rebuilds it, and the server refuses it with that reason.
 */
export const FORMAT_VERSION = 2;
