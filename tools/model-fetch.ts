/**
 * Fetch an embedding model from the model hub into the models folder, at build time only. The
 * server never downloads: it is started with remote models off (server/config.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hashModelFile, MODEL_SOURCE_FILE, modelFilePath, modelFolder, readModelSource, type EmbeddingConfig, type ModelSource } from '../workers/model-config.js';

export const DEFAULT_MODEL_HOST = 'https://huggingface.co';
export const DEFAULT_MODEL_REVISION = 'main';

export interface FetchModelOptions {
  embedding: EmbeddingConfig;
  /** Hub address (`MODEL_HOST`); files are read from `<host>/<ORG/NAME>/resolve/<revision>/<file>`. */
  host?: string;
  /** Branch, tag or commit (`MODEL_REVISION`, default `main`). */
  revision?: string;
  /** The ONNX file's expected sha256 (`MODEL_SHA256`): a file that differs is refused, fetched or not. */
  expectedSha256?: string;
  /** Bound on each file's download. */
  timeoutMs?: number;
  onInfo?: (message: string) => void;
}

export interface FetchedModel {
  /** False when the files were already in the models folder. */
  fetched: boolean;
  sha256: string;
  /** The source record, when the model was fetched now or by an earlier build. */
  source: ModelSource | null;
  bytes: number;
}

/** The model could not be fetched, or is not the pinned one; says from where and how to fix it. */
export class ModelFetchError extends Error {
  override name = 'ModelFetchError';
  readonly code = 'MODEL_FETCH_FAILED';
  constructor(readonly model: string, readonly url: string, detail: string, options?: { cause?: unknown }) {
    super(`Could not fetch embedding model ${model} from ${url}: ${detail}`, options);
  }
}

/** Files a transformers.js feature-extraction model needs; `optional` ones may be absent from the hub. */
function modelFiles(embedding: EmbeddingConfig): { file: string; optional: boolean }[] {
  const onnx = path.relative(modelFolder(embedding), modelFilePath(embedding)).split(path.sep).join('/');
  return [
    { file: 'config.json', optional: false },
    { file: 'tokenizer.json', optional: false },
    { file: 'tokenizer_config.json', optional: false },
    { file: 'special_tokens_map.json', optional: true },
    // Last: a folder with the ONNX file in it is complete.
    { file: onnx, optional: false },
  ];
}

async function download(url: string, target: string, timeoutMs: number): Promise<{ bytes: number; sha256: string; commit: string | null } | null> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  const body = new Uint8Array(await response.arrayBuffer());
  await mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  await writeFile(partial, body);
  await rename(partial, target);
  return { bytes: body.byteLength, sha256: createHash('sha256').update(body).digest('hex'), commit: response.headers.get('x-repo-commit') };
}

/**
 * Make sure the model is in `embedding.modelDir`, fetching it when it is not. A model already
 * there is used as it is (never re-fetched), but still checked against `expectedSha256`.
 */
export async function fetchModel(options: FetchModelOptions): Promise<FetchedModel> {
  const { embedding, host = DEFAULT_MODEL_HOST, revision = DEFAULT_MODEL_REVISION, expectedSha256, timeoutMs = 300_000 } = options;
  const folder = modelFolder(embedding);
  const base = `${host.replace(/\/+$/, '')}/${embedding.model}/resolve/${encodeURIComponent(revision)}`;
  const checkPin = (sha256: string, where: string) => {
    if (expectedSha256 && sha256 !== expectedSha256.toLowerCase()) {
      throw new ModelFetchError(embedding.model, where, `its ONNX file has sha256 ${sha256}, MODEL_SHA256 pins ${expectedSha256}. Remove ${folder} to fetch it again, or correct MODEL_SHA256`);
    }
  };
  if (existsSync(modelFilePath(embedding)) && existsSync(path.join(folder, 'tokenizer.json'))) {
    const sha256 = await hashModelFile(embedding);
    checkPin(sha256, folder);
    return { fetched: false, sha256, source: readModelSource(embedding), bytes: 0 };
  }
  options.onInfo?.(`fetching ${embedding.model} (${embedding.dtype}) from ${base} into ${folder}`);
  let total = 0;
  let last: { sha256: string } | undefined;
  // The hub names the commit it served in X-Repo-Commit; large files are redirected to a CDN whose
  // response lacks it, so the first file that carries it (config.json) names the revision.
  let commit: string | null = null;
  for (const { file, optional } of modelFiles(embedding)) {
    const url = `${base}/${file}`;
    let got;
    try {
      got = await download(url, path.join(folder, ...file.split('/')), timeoutMs);
    } catch (cause) {
      throw new ModelFetchError(embedding.model, url, cause instanceof Error ? (cause.cause instanceof Error ? `${cause.message} (${cause.cause.message})` : cause.message) : String(cause), { cause });
    }
    if (!got) {
      if (optional) continue;
      throw new ModelFetchError(embedding.model, url, 'not found (HTTP 404): check EMBEDDING_MODEL, MODEL_REVISION and MODEL_DTYPE');
    }
    total += got.bytes;
    commit ??= got.commit;
    last = got;
  }
  const sha256 = last!.sha256;
  try {
    checkPin(sha256, base);
  } catch (error) {
    await rm(modelFilePath(embedding), { force: true });
    throw error;
  }
  const source: ModelSource = { id: embedding.model, revision: commit ?? revision, sha256, url: base, fetchedAt: new Date().toISOString() };
  await writeFile(path.join(folder, MODEL_SOURCE_FILE), `${JSON.stringify(source, null, 2)}\n`);
  options.onInfo?.(`fetched ${embedding.model}: ${(total / 1048576).toFixed(1)} MB, revision ${source.revision}, ONNX sha256 ${sha256}`);
  return { fetched: true, sha256, source, bytes: total };
}
