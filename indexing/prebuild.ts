import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { abandonGeneration, beginGeneration, commitGeneration } from '../store/atomic-swap.js';
import type { ChunkRecord, DocumentRecord } from '../store/chunk-record.js';
import { locateIndex, readDocuments, readIndex, writeGenerationFiles, writeManifest, type LoadedIndex } from '../store/index-files.js';
import { FILES, VECTRA_INDEX_FILE } from '../store/index-layout.js';
import { FORMAT_VERSION, type ChunkingParams, type Manifest, type ModelFingerprint } from '../store/manifest.js';
import { sameModel } from '../store/model-fingerprint.js';
import { writeVectraIndex } from '../store/vectra-export.js';
import { approximateTokenCounter, CHUNKER_REVISION, chunkDocument, embeddingText, type TokenCount } from './chunker.js';
import { DEFAULT_TOP_K } from '../answer/defaults.js';
import { Embedder, TokenCounter } from '../workers/embedder.js';
import { Retriever } from '../workers/retriever.js';
import { buildLexicalIndex } from '../workers/lexical-index.js';
import type { EmbeddingConfig } from '../workers/model-config.js';
import { acquireBuildLock } from './build-lock.js';
import { calibrateRelevance, type CalibrationSettings } from './calibrate.js';
import { isSkipped, listDocuments, loadDocument, type SkippedDocument, type SourceDocument } from './documents.js';
import { DocsNotFoundError, NoDocumentsError, SkippedDocumentsError } from './errors.js';
import { readGateQuestions, runQualityGate, type QualityGateOptions, type QualityVerdict } from './quality-gate.js';
import { packageVersion } from '../store/package-version.js';
import { embedSentenceVectors, type SentenceVectorsReport } from './sentence-embedding.js';
import { SENTENCE_SPLITTER_REVISION } from '../text/sentences.js';

export const DEFAULT_CHUNK_TOKENS = 128;
export const DEFAULT_OVERLAP_TOKENS = 16;
/**
 * Past this many chunks a build embeds no sentences unless told to (`sentenceVectors: true`): at
 * about 3.5 sentences a chunk (18F), 20,000 chunks hold 70,000 sentence rows, 27 MB with a
 * 384-dimension model, held twice while the build gathers them.
 */
export const SENTENCE_VECTORS_MAX_CHUNKS = 20_000;

export interface PrebuildOptions {
  docsDir: string;
  outDir: string;
  embedding: EmbeddingConfig;
  /** Chunk size in model tokens, special tokens and heading trail included; capped at the model's limit. */
  chunkTokens?: number;
  overlapTokens?: number;
  include?: string[];
  exclude?: string[];
  /** Fail the build (SkippedDocumentsError) when any document is skipped, instead of reporting it. */
  strict?: boolean;
  /** Build without vectors (no model needed); the service then searches lexically. */
  lexicalOnly?: boolean;
  /** Re-embed every document even when an earlier generation has its vectors. */
  full?: boolean;
  /**
   * Embed every chunk's quotable sentences too (with vectors only), so extractive answers are
   * scored by meaning without a model call (store/sentence-vectors.ts). Default: up to
   * SENTENCE_VECTORS_MAX_CHUNKS chunks. They cost about dimensions + 8 bytes a sentence on disk,
   * twice that in the build's memory, and a model call per distinct sentence.
   */
  sentenceVectors?: boolean;
  /** Also write the chunks as a vectra LocalIndex inside the generation (default true). */
  vectraExport?: boolean;
  batchSize?: number;
  /**
   * Evaluate the new generation before it goes live, and refuse it (QualityGateError, the live
   * one untouched) when its figures are too low or fell too far.
   */
  qualityGate?: QualityGateOptions;
  /** The relevance calibration's free numbers (default DEFAULT_CALIBRATION); `false` skips it. */
  calibration?: CalibrationSettings | false;
  onProgress?: (event: ProgressEvent) => void;
  onWarning?: (message: string) => void;
}

export interface ProgressEvent {
  phase: 'read' | 'embed' | 'sentences' | 'write';
  done: number;
  total: number;
}

export interface PrebuildReport {
  indexDir: string;
  generationDir: string;
  documents: number;
  skipped: SkippedDocument[];
  chunks: number;
  tokens: number;
  reusedDocuments: number;
  embeddedChunks: number;
  reusedChunks: number;
  seconds: number;
  chunksPerSecond: number;
  peakRssBytes: number;
  manifest: Manifest;
  /** The quality gate's verdict, when the build ran one. */
  quality?: QualityVerdict;
  /** What embedding the chunks' sentences cost, when the build did (`sentenceVectors`). */
  sentenceVectors?: SentenceVectorsReport;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What decides whether a document's chunks can be reused: its cleaned content. */
export function documentHash(doc: SourceDocument): string {
  return sha256(JSON.stringify([doc.title, doc.text, doc.sections]));
}

export function corpusHash(documents: { source: string; contentHash: string }[]): string {
  return sha256(documents.map((doc) => `${doc.source}\0${doc.contentHash}`).join('\n'));
}

/**
 * Why an index with vectors lacks the sentence vectors `prebuild(options)` would write now (none,
 * or split by another splitter revision), or null. For `--if-stale`: an index from before them,
 * or from another splitter, is rebuilt (incrementally: only the sentences are embedded again).
 */
export function sentenceVectorsStale(manifest: Manifest, options: Pick<PrebuildOptions, 'sentenceVectors'>): string | null {
  const wanted = options.sentenceVectors ?? manifest.corpus.chunks <= SENTENCE_VECTORS_MAX_CHUNKS;
  const revision = manifest.sentenceVectors?.splitterRevision;
  if (!manifest.model || !wanted || revision === SENTENCE_SPLITTER_REVISION) return null;
  return revision === undefined ? 'built without sentence vectors' : `its sentence vectors were split by sentence splitter revision ${revision}, ${SENTENCE_SPLITTER_REVISION} now`;
}

/** Read and clean every document under `docsDir`; unreadable or empty ones are skipped with a reason. */
export async function readCorpus(
  docsDir: string,
  options: Pick<PrebuildOptions, 'include' | 'exclude' | 'onProgress' | 'onWarning'>,
): Promise<{ docs: SourceDocument[]; skipped: SkippedDocument[] }> {
  const files = await listDocuments(docsDir, options.include, options.exclude);
  const docs: SourceDocument[] = [];
  const skipped: SkippedDocument[] = [];
  for (const [i, file] of files.entries()) {
    const doc = await loadDocument(docsDir, file);
    if (isSkipped(doc)) {
      skipped.push(doc);
      options.onWarning?.(`skipped ${doc.source}: ${doc.reason}`);
    } else {
      docs.push(doc);
    }
    options.onProgress?.({ phase: 'read', done: i + 1, total: files.length });
  }
  return { docs, skipped };
}

/** What an earlier generation can lend this build: chunks and vectors of unchanged documents. */
interface Reusable {
  index: LoadedIndex;
  /** The previous generation's records, materialised for the build (which holds all of its own anyway). */
  chunks: ChunkRecord[];
  documents: Map<string, DocumentRecord>;
}

async function previousGeneration(outDir: string, model: ModelFingerprint | null, chunking: ChunkingParams): Promise<Reusable | undefined> {
  try {
    const index = await readIndex(outDir, 'float32', { sentenceSplitter: SENTENCE_SPLITTER_REVISION });
    const { manifest } = index;
    if (!sameModel(manifest.model, model)) return undefined;
    const { maxTokens, overlapTokens, revision } = manifest.chunking;
    if (maxTokens !== chunking.maxTokens || overlapTokens !== chunking.overlapTokens || revision !== chunking.revision) return undefined;
    if (manifest.tool.version !== packageVersion()) return undefined;
    const documents = await readDocuments(await locateIndex(outDir));
    const chunks = index.chunks.all();
    index.chunks.close();
    return { index, chunks, documents: new Map(documents.map((doc) => [doc.source, doc])) };
  } catch {
    return undefined;
  }
}

async function loadModel(options: PrebuildOptions): Promise<{ embedder?: Embedder; counter: TokenCount & { maxTokens: number } }> {
  if (!options.lexicalOnly) {
    const embedder = await Embedder.load(options.embedding);
    return { embedder, counter: embedder };
  }
  try {
    return { counter: await TokenCounter.load(options.embedding) };
  } catch {
    options.onWarning?.(`no tokenizer for ${options.embedding.model}: chunk sizes are estimated from word counts`);
    return { counter: approximateTokenCounter(DEFAULT_CHUNK_TOKENS) };
  }
}

/** Measure the new generation's relevance floors with the model that built it, and record them in its manifest. */
async function calibrate(generationDir: string, embedder: Embedder, manifest: Manifest, settings: CalibrationSettings | undefined): Promise<void> {
  const retriever = await Retriever.open({ indexDir: generationDir, embedder });
  const relevance = await calibrateRelevance(retriever, DEFAULT_TOP_K, settings);
  if (!relevance) return;
  manifest.relevance = relevance;
  await writeManifest(generationDir, manifest);
}

/**
 * Turn a folder of documents into a new index generation in `outDir` and make it live, atomically.
 * Unchanged documents keep the chunks and vectors of the previous generation. With `qualityGate`,
 * the generation is evaluated first, with the embedder loaded for the build, and made live only
 * if it passes. Throws typed errors; the previous generation stays live whatever fails.
 */
export async function prebuild(options: PrebuildOptions): Promise<PrebuildReport> {
  const started = performance.now();
  const docsDir = path.resolve(options.docsDir);
  const outDir = path.resolve(options.outDir);
  const isDir = await stat(docsDir).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new DocsNotFoundError(docsDir);
  const gateQuestions = options.qualityGate ? await readGateQuestions(options.qualityGate.questionsFile) : undefined;
  await mkdir(outDir, { recursive: true });
  const release = await acquireBuildLock(outDir);
  try {
    const { embedder, counter } = await loadModel(options);
    const model = embedder?.fingerprint ?? null;
    const chunking: ChunkingParams = {
      maxTokens: Math.min(options.chunkTokens ?? DEFAULT_CHUNK_TOKENS, counter.maxTokens),
      overlapTokens: options.overlapTokens ?? DEFAULT_OVERLAP_TOKENS,
      revision: CHUNKER_REVISION,
    };
    const previous = options.full ? undefined : await previousGeneration(outDir, model, chunking);

    const { docs, skipped } = await readCorpus(docsDir, options);
    if (options.strict && skipped.length) throw new SkippedDocumentsError(docsDir, skipped);
    if (docs.length === 0) throw new NoDocumentsError(docsDir, skipped.length);

    const chunks: ChunkRecord[] = [];
    const documents: DocumentRecord[] = [];
    const dims = model?.dimensions ?? 0;
    const reusedRows = new Map<number, number>();
    const toEmbed: number[] = [];
    let reusedDocuments = 0;
    for (const doc of docs) {
      const contentHash = documentHash(doc);
      const before = previous?.documents.get(doc.source);
      const firstChunk = chunks.length;
      if (before && before.contentHash === contentHash) {
        reusedDocuments++;
        for (let k = 0; k < before.chunkCount; k++) {
          reusedRows.set(chunks.length, before.firstChunk + k);
          chunks.push(previous!.chunks[before.firstChunk + k]!);
        }
      } else {
        for (const chunk of chunkDocument(doc, doc.source, chunking, counter)) {
          toEmbed.push(chunks.length);
          chunks.push(chunk);
        }
      }
      documents.push({ source: doc.source, title: doc.title, contentHash, firstChunk, chunkCount: chunks.length - firstChunk });
    }

    let vectors: Float32Array | null = null;
    if (embedder) {
      vectors = new Float32Array(chunks.length * dims);
      for (const [row, from] of reusedRows) vectors.set(previous!.index.vectors!.subarray(from * dims, (from + 1) * dims), row * dims);
      const batch = options.batchSize ?? 64;
      for (let i = 0; i < toEmbed.length; i += batch) {
        const rows = toEmbed.slice(i, i + batch);
        const embedded = await embedder.embed(rows.map((row) => embeddingText(chunks[row]!)));
        rows.forEach((row, k) => vectors!.set(embedded.subarray(k * dims, (k + 1) * dims), row * dims));
        options.onProgress?.({ phase: 'embed', done: Math.min(i + batch, toEmbed.length), total: toEmbed.length });
      }
    }

    const withSentences = Boolean(embedder) && (options.sentenceVectors ?? chunks.length <= SENTENCE_VECTORS_MAX_CHUNKS);
    if (embedder && !withSentences && options.sentenceVectors === undefined) {
      options.onWarning?.(`no sentence vectors: ${chunks.length} chunks is more than ${SENTENCE_VECTORS_MAX_CHUNKS}; extractive answers will embed sentences per question, while the worker is idle`);
    }
    const sentences = embedder && withSentences ? await embedSentenceVectors({ chunks, reusedRows, previous: previous?.index.sentences ?? null, embedder, batchSize: options.batchSize ?? 64, onProgress: options.onProgress }) : undefined;
    previous?.index.sentences?.close();

    const tokens = chunks.reduce((sum, chunk) => sum + chunk.tokens, 0);
    const vectraExport = Boolean(vectors) && options.vectraExport !== false;
    const manifest: Manifest = {
      formatVersion: FORMAT_VERSION,
      tool: { name: 'rag512', version: packageVersion() },
      createdAt: new Date().toISOString(),
      model,
      chunking,
      corpus: {
        hash: corpusHash(documents),
        documents: docs.length,
        skipped: skipped.length,
        chunks: chunks.length,
        tokens,
      },
      files: {
        chunks: FILES.chunks,
        vectors: vectors ? FILES.vectors : null,
        lexical: FILES.lexical,
        documents: FILES.documents,
        vectra: vectraExport ? `${FILES.vectra}/${VECTRA_INDEX_FILE}` : null,
      },
    };
    options.onProgress?.({ phase: 'write', done: 0, total: 1 });
    const { tempDir, name } = await beginGeneration(outDir);
    let generationDir: string;
    let quality: QualityVerdict | undefined;
    try {
      if (vectraExport) await writeVectraIndex(tempDir, chunks, vectors!, dims);
      await writeGenerationFiles(tempDir, { manifest, chunks, documents, vectors, lexical: buildLexicalIndex(chunks), ...(sentences ? { sentenceVectors: { perChunk: sentences.perChunk, splitterRevision: SENTENCE_SPLITTER_REVISION } } : {}) });
      if (embedder && options.calibration !== false) await calibrate(tempDir, embedder, manifest, options.calibration);
      if (gateQuestions) {
        quality = await runQualityGate({ indexDir: outDir, tempDir, name, manifest, embedder, questions: gateQuestions, options: options.qualityGate! });
      }
      generationDir = await commitGeneration(outDir, tempDir, name);
    } catch (error) {
      await abandonGeneration(tempDir);
      throw error;
    }
    options.onProgress?.({ phase: 'write', done: 1, total: 1 });
    const seconds = (performance.now() - started) / 1000;
    return {
      indexDir: outDir,
      generationDir,
      documents: docs.length,
      skipped,
      chunks: chunks.length,
      tokens,
      reusedDocuments,
      embeddedChunks: embedder ? toEmbed.length : 0,
      reusedChunks: reusedRows.size,
      seconds,
      chunksPerSecond: chunks.length / Math.max(seconds, 1e-3),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      manifest,
      ...(quality ? { quality } : {}),
      ...(sentences ? { sentenceVectors: sentences.report } : {}),
    };
  } finally {
    await release();
  }
}
