import { existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../store/file-hash.js';

/** The ONNX weights a model may be loaded with. */
export const MODEL_DTYPES = ['q8', 'fp32'] as const;

/** How to find and load the embedding model. Shared by the worker and `tools/prebuild`. */
export interface EmbeddingConfig {
  /** Model id, `ORG/NAME`, as on the model hub and as the folder under `modelDir`. */
  model: string;
  /** Folder of transformers.js models laid out as `ORG/NAME/onnx/model_quantized.onnx`. */
  modelDir: string;
  /** Let transformers.js download a model that is not in `modelDir` (into `modelDir`). */
  allowRemote: boolean;
  /** `q8` loads `onnx/model_quantized.onnx`, `fp32` loads `onnx/model.onnx`. */
  dtype: (typeof MODEL_DTYPES)[number];
}

export function isModelDtype(value: string): value is EmbeddingConfig['dtype'] {
  return (MODEL_DTYPES as readonly string[]).includes(value);
}

export const DEFAULT_EMBEDDING_MODEL = 'Xenova/paraphrase-MiniLM-L3-v2';
/** `MODEL_DIR` when unset, relative to the working directory. */
export const DEFAULT_MODEL_DIR = 'models';

/** The server's, the build's and the tools' defaults (`server/config.ts` spells them as its `DEFAULTS`). */
export const DEFAULT_EMBEDDING_CONFIG: Readonly<EmbeddingConfig> = {
  model: DEFAULT_EMBEDDING_MODEL,
  modelDir: path.resolve(DEFAULT_MODEL_DIR),
  allowRemote: false,
  dtype: 'q8',
};

/**
 * Input lengths the sentence-transformers models were trained on. Their tokenizers accept 512,
 * but a MiniLM trained on 128 word pieces embeds longer input poorly, so chunks stay under this.
 */
const TRAINED_MAX_TOKENS: Record<string, number> = {
  'Xenova/paraphrase-MiniLM-L3-v2': 128,
  'Xenova/paraphrase-MiniLM-L6-v2': 128,
  'Xenova/all-MiniLM-L6-v2': 256,
  'Xenova/all-MiniLM-L12-v2': 256,
};

/** The model could not be found or loaded; names the folder and the variables to set. */
export class ModelNotFoundError extends Error {
  override name = 'ModelNotFoundError';
  readonly code = 'MODEL_NOT_FOUND';
  constructor(readonly model: string, readonly lookedIn: string, detail: string, options?: { cause?: unknown }) {
    super(
      `Embedding model "${model}" could not be loaded: ${detail}. Looked in ${lookedIn}. ` +
        'Set MODEL_DIR to a folder that holds ORG/NAME/onnx/model_quantized.onnx with its tokenizer files, ' +
        'choose another model with EMBEDDING_MODEL, or run `npm run build:index` where the model hub is reachable (it fetches the model into MODEL_DIR; the server never downloads)',
      options,
    );
  }
}

export function modelFolder(config: EmbeddingConfig): string {
  return path.join(config.modelDir, ...config.model.split('/'));
}

export function modelFilePath(config: EmbeddingConfig): string {
  return path.join(modelFolder(config), 'onnx', config.dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx');
}

/** Throws ModelNotFoundError unless the model's files are on disk (or may be downloaded). */
export function assertModelPresent(config: EmbeddingConfig): void {
  if (config.allowRemote) return;
  const file = modelFilePath(config);
  if (!existsSync(file)) {
    throw new ModelNotFoundError(config.model, modelFolder(config), `${path.relative(modelFolder(config), file)} is missing and remote downloads are off`);
  }
  if (!existsSync(path.join(modelFolder(config), 'tokenizer.json'))) {
    throw new ModelNotFoundError(config.model, modelFolder(config), 'tokenizer.json is missing and remote downloads are off');
  }
}

/** The longest input to embed, in model tokens, special tokens included. */
export function modelMaxTokens(config: EmbeddingConfig, tokenizerMax: number): number {
  const folder = modelFolder(config);
  const sbert = path.join(folder, 'sentence_bert_config.json');
  if (existsSync(sbert)) {
    const parsed = JSON.parse(readFileSync(sbert, 'utf8')) as { max_seq_length?: number };
    if (parsed.max_seq_length) return parsed.max_seq_length;
  }
  return Math.min(TRAINED_MAX_TOKENS[config.model] ?? tokenizerMax, tokenizerMax);
}

/** Written beside a model by `npm run build:index` when it fetched it: where from, and what it got. */
export interface ModelSource {
  id: string;
  revision: string;
  /** sha256 of the ONNX file as fetched. */
  sha256: string;
  url: string;
  fetchedAt: string;
}

export const MODEL_SOURCE_FILE = 'rag512-source.json';

/** The record of where the model was fetched from, or null for a model put in the folder by hand. */
export function readModelSource(config: EmbeddingConfig): ModelSource | null {
  try {
    return JSON.parse(readFileSync(path.join(modelFolder(config), MODEL_SOURCE_FILE), 'utf8')) as ModelSource;
  } catch {
    return null;
  }
}

/** sha256 of the model's ONNX file, read through one small buffer so neither the file nor its pieces sit in memory. */
export async function hashModelFile(config: EmbeddingConfig): Promise<string> {
  return (await sha256File(modelFilePath(config))).digest;
}

/**
 * The model file's sha256 and the file it was taken of, named by its path and identified by its
 * device, inode, size, mtime and ctime. A file replaced since has another inode; one written in
 * place has another ctime even when the tool that wrote it put its mtime back (`cp -p`,
 * `rsync --inplace`, `touch -r`), since nobody can set ctime back; reading it changes neither.
 */
export interface ModelFileHash {
  file: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  dev: number;
  ino: number;
  sha256: string;
}

async function identityOf(file: string): Promise<Omit<ModelFileHash, 'sha256'>> {
  const { size, mtimeMs, ctimeMs, dev, ino } = await stat(file);
  return { file, size, mtimeMs, ctimeMs, dev, ino };
}

const sameFile = (a: Omit<ModelFileHash, 'sha256'>, b: Omit<ModelFileHash, 'sha256'>) =>
  a.file === b.file && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.dev === b.dev && a.ino === b.ino;

/**
 * `hashModelFile`, with the identity of the file hashed, or without one when the file changed while
 * it was read (its hash then describes no file on disk, and nobody may reuse it).
 */
export async function hashModelFileIdentified(config: EmbeddingConfig): Promise<{ sha256: string; identified?: ModelFileHash }> {
  const file = modelFilePath(config);
  const before = await identityOf(file);
  const sha256 = await hashModelFile(config);
  const after = await identityOf(file).catch(() => null);
  return after && sameFile(before, after) ? { sha256, identified: { ...after, sha256 } } : { sha256 };
}

/**
 * The model file's sha256: `known`'s when the file on disk is still the one `known` was taken of,
 * else read now. The boot check hashes the file once; a worker (and every worker after a recycle)
 * reuses that instead of reading the whole file again.
 */
export async function modelFileSha256(config: EmbeddingConfig, known?: ModelFileHash): Promise<string> {
  if (known && sameFile(known, await identityOf(modelFilePath(config)))) return known.sha256;
  return hashModelFile(config);
}
