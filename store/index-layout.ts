/**
 * The names on disk of an index folder, in one place for the writer, the reader and the build.
 * An index folder holds generations (`gen-*` folders) and a `CURRENT` file naming the live one.
 */
export const CURRENT_FILE = 'CURRENT';
export const GENERATION_PREFIX = 'gen-';
/** A generation or pointer still being written; readers never look at these. */
export const TEMP_PREFIX = '.tmp-';
/** A generation a build refused to make live (the prebuild quality gate), kept to be looked at. */
export const REJECTED_PREFIX = 'rejected-';

/** File names inside a generation folder. The manifest is written last: its presence means the folder is complete. */
export const FILES = {
  manifest: 'manifest.json',
  /** One JSON chunk record a line, read by offset (see ChunkStore). */
  chunks: 'chunks.jsonl',
  /** Byte offset of each line of `chunks` (float64), one more than there are chunks. */
  chunkOffsets: 'chunks.offsets',
  vectors: 'vectors.f32',
  /** The same rows as int8 with one scale each, what the worker holds (see encodeQuantized). */
  quantized: 'vectors.i8',
  /** The keyword index, binary (see workers/lexical-index.ts). */
  lexical: 'lexical.bin',
  /** The approximate vector index, only for indexes of IVF_MIN_ROWS chunks or more (see ivf-index.ts). */
  ivf: 'ivf.bin',
  documents: 'documents.json',
  /** Optional: every chunk's quotable sentences as int8 rows, by chunk (see store/sentence-vectors.ts). */
  sentenceVectors: 'sentences.i8',
  /** A folder: the vectra LocalIndex export. */
  vectra: 'vectra',
} as const;

/** The vectra export's own index file, inside `FILES.vectra`. */
export const VECTRA_INDEX_FILE = 'index.json';
