/**
 * The build step every way of running rag512 shares (`npm run build:index`): `npm start` runs it
 * before the server, and the deploy builds (render.yaml, heroku-postbuild) run it once per deploy.
 * It fetches the model into the models folder, then builds the user's documents, or the bundled
 * sample when there are none, into the index folder the server serves. The server itself never
 * downloads and never builds.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { listDocuments } from '../indexing/documents.js';
import { staleReason } from '../indexing/index-freshness.js';
import { prebuild, type PrebuildReport } from '../indexing/prebuild.js';
import { assertModelPresent, DEFAULT_EMBEDDING_CONFIG, isModelDtype, MODEL_DTYPES, modelFolder, type EmbeddingConfig } from '../workers/model-config.js';
import { UsageError } from './cli-env.js';
import { DEFAULT_MODEL_HOST, DEFAULT_MODEL_REVISION, fetchModel } from './model-fetch.js';

/** The build step's variables and their defaults (`.env.example` lists them with the server's). */
export const BUILD_DEFAULTS = {
  DOCS_DIR: 'documents',
  SAMPLE_CORPUS_DIR: 'corpus/handbook',
  INDEX_DIR: 'data/index',
  EMBEDDING_MODEL: DEFAULT_EMBEDDING_CONFIG.model,
  MODEL_DIR: 'models',
  MODEL_DTYPE: DEFAULT_EMBEDDING_CONFIG.dtype,
  ALLOW_REMOTE_MODELS: 'true',
  MODEL_HOST: DEFAULT_MODEL_HOST,
  MODEL_REVISION: DEFAULT_MODEL_REVISION,
  MODEL_SHA256: '',
  ALLOW_LEXICAL_FALLBACK: 'false',
} as const satisfies Record<string, string>;

export interface BuildIndexSettings {
  docsDir: string;
  /** DOCS_DIR was set: a folder without documents is then an error, not a reason to build the sample. */
  docsDirSet: boolean;
  sampleCorpusDir: string;
  indexDir: string;
  /** INDEX_DIR was set: without documents to build, that index is served as it is. */
  indexDirSet: boolean;
  /** How the index is built and served: never with downloads on (this step fetches the model itself). */
  embedding: EmbeddingConfig;
  /** May the model be fetched from `host` when it is not in the models folder. */
  download: boolean;
  host: string;
  revision: string;
  expectedSha256: string | undefined;
  /** Without the model, build a keyword-only index instead of failing. */
  lexicalFallback: boolean;
}

export interface BuildIndexReport {
  /** `built` a new generation, found the index `current`, or `kept` an INDEX_DIR with nothing to build. */
  action: 'built' | 'current' | 'kept';
  indexDir: string;
  docsDir: string | null;
  retrieval: 'hybrid' | 'lexical' | null;
  prebuild?: PrebuildReport;
}

/** Without the model the build would ship keyword search only; says the three ways out. */
export class ModelUnavailableError extends Error {
  override name = 'ModelUnavailableError';
  readonly code = 'MODEL_UNAVAILABLE';
  constructor(embedding: EmbeddingConfig, detail: string, options?: { cause?: unknown }) {
    super(
      [
        `The embedding model ${embedding.model} is not in ${modelFolder(embedding)} and could not be had: ${detail}`,
        'The build stops here rather than ship an index without semantic search. Fix one of:',
        `  - let the build reach the model hub (ALLOW_REMOTE_MODELS=true, the default; MODEL_HOST=${DEFAULT_MODEL_HOST} or a mirror);`,
        `  - put the model's files in ${modelFolder(embedding)} (config.json, tokenizer.json, tokenizer_config.json, onnx/${embedding.dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx'}) and commit them to your fork (git add -f: models/ is ignored);`,
        '  - or accept keyword search only: set ALLOW_LEXICAL_FALLBACK=true.',
      ].join('\n'),
      options,
    );
  }
}

function flag(env: NodeJS.ProcessEnv, name: 'ALLOW_REMOTE_MODELS' | 'ALLOW_LEXICAL_FALLBACK'): boolean {
  const text = (env[name] || BUILD_DEFAULTS[name]).toLowerCase();
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  throw new UsageError(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
}

/** Read the build step's settings from the environment (relative paths against `cwd`). Throws UsageError. */
export function buildSettings(env: NodeJS.ProcessEnv, cwd: string, overrides: { lexicalFallback?: boolean } = {}): BuildIndexSettings {
  const value = (name: keyof typeof BUILD_DEFAULTS) => env[name] || BUILD_DEFAULTS[name];
  const dtype = value('MODEL_DTYPE');
  if (!isModelDtype(dtype)) throw new UsageError(`MODEL_DTYPE must be one of ${MODEL_DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`);
  const sha = env.MODEL_SHA256 || undefined;
  if (sha !== undefined && !/^[0-9a-f]{64}$/i.test(sha)) throw new UsageError(`MODEL_SHA256 must be 64 hex digits, got ${JSON.stringify(sha)}`);
  return {
    docsDir: path.resolve(cwd, value('DOCS_DIR')),
    docsDirSet: Boolean(env.DOCS_DIR),
    sampleCorpusDir: path.resolve(cwd, value('SAMPLE_CORPUS_DIR')),
    indexDir: path.resolve(cwd, value('INDEX_DIR')),
    indexDirSet: Boolean(env.INDEX_DIR),
    embedding: { model: value('EMBEDDING_MODEL'), modelDir: path.resolve(cwd, value('MODEL_DIR')), allowRemote: false, dtype },
    download: flag(env, 'ALLOW_REMOTE_MODELS'),
    host: value('MODEL_HOST'),
    revision: value('MODEL_REVISION'),
    expectedSha256: sha,
    lexicalFallback: overrides.lexicalFallback ?? flag(env, 'ALLOW_LEXICAL_FALLBACK'),
  };
}

async function hasDocuments(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return false;
  return (await listDocuments(dir)).length > 0;
}

/** The folder to build: the user's documents when there are any, else the sample (null: keep INDEX_DIR as it is). */
async function documentsToBuild(settings: BuildIndexSettings): Promise<string | null> {
  if (await hasDocuments(settings.docsDir)) return settings.docsDir;
  if (settings.docsDirSet) throw new UsageError(`DOCS_DIR is ${settings.docsDir}, which holds no documents the build can read (README, "Your documents")`);
  return settings.indexDirSet ? null : settings.sampleCorpusDir;
}

/** The model on disk (fetched if allowed), or why it cannot be had. */
async function ensureModel(settings: BuildIndexSettings, info: (message: string) => void): Promise<string | null> {
  const { embedding } = settings;
  try {
    if (!settings.download) {
      assertModelPresent(embedding);
      if (settings.expectedSha256) await fetchModel({ embedding, expectedSha256: settings.expectedSha256 });
      return null;
    }
    const got = await fetchModel({ embedding, host: settings.host, revision: settings.revision, expectedSha256: settings.expectedSha256, onInfo: info });
    if (!got.fetched) info(`model ${embedding.model} is in ${modelFolder(embedding)} (ONNX sha256 ${got.sha256.slice(0, 12)}…)`);
    return null;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return settings.download ? detail : `${detail}; downloads are off (ALLOW_REMOTE_MODELS=false)`;
  }
}

/**
 * Fetch the model and build the index, or find it current. Throws ModelUnavailableError when the
 * model cannot be had and keyword-only was not accepted; the live index is then untouched.
 */
export async function buildIndex(settings: BuildIndexSettings, io: { info: (message: string) => void; warn: (message: string) => void }): Promise<BuildIndexReport> {
  const docsDir = await documentsToBuild(settings);
  if (!docsDir) {
    io.info(`INDEX_DIR is set and ${settings.docsDir} holds no documents: serving ${settings.indexDir} as it is`);
    return { action: 'kept', indexDir: settings.indexDir, docsDir: null, retrieval: null };
  }
  const missing = await ensureModel(settings, io.info);
  if (missing && !settings.lexicalFallback) throw new ModelUnavailableError(settings.embedding, missing);
  if (missing) {
    io.warn(`${missing}`);
    io.warn('KEYWORD SEARCH ONLY: building the index without the embedding model (no semantic search). Provide the model and run this again to upgrade it.');
  }
  const options = { docsDir, outDir: settings.indexDir, embedding: settings.embedding, lexicalOnly: Boolean(missing), vectraExport: false };
  const reason = await staleReason(options, Boolean(missing));
  if (reason === null) {
    io.info(`Index is current: ${settings.indexDir} (documents from ${docsDir})`);
    return { action: 'current', indexDir: settings.indexDir, docsDir, retrieval: missing ? 'lexical' : 'hybrid' };
  }
  io.info(`building ${settings.indexDir} from ${docsDir}: ${reason}`);
  const report = await prebuild({ ...options, onWarning: (message) => io.warn(message) });
  return { action: 'built', indexDir: settings.indexDir, docsDir, retrieval: report.manifest.model ? 'hybrid' : 'lexical', prebuild: report };
}
