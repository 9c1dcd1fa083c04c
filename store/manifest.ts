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
}

export interface ChunkingParams {
  maxTokens: number;
  overlapTokens: number;
  /** Revision of the cleaner and chunker; a change means no chunk of an older build is reused. */
  revision: number;
}

export interface Manifest {
  formatVersion: 1;
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
  files: { chunks: string; vectors: string | null; lexical: string; documents: string; vectra: string | null };
  /** Retrieval figures measured before the generation went live; absent when built without `--eval`. */
  quality?: QualityRecord;
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

export const FORMAT_VERSION = 1;
