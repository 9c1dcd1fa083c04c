#!/usr/bin/env node
/** `npm run prebuild -- --docs <folder> --out <index folder>`: a thin edge over `prebuild()`. */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_EMBEDDING_CONFIG, isModelDtype, ModelNotFoundError, MODEL_DTYPES, type EmbeddingConfig } from '../workers/model-config.js';
import { staleReason } from '../indexing/index-freshness.js';
import { fraction, modelSettings, UsageError } from './cli-env.js';
import { DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS, prebuild, SENTENCE_VECTORS_MAX_CHUNKS, type PrebuildOptions, type PrebuildReport } from '../indexing/prebuild.js';
import { progressPrinter } from './progress.js';
import type { PostgresPrebuildOptions } from '../indexing/prebuild-postgres.js';
import { DEFAULT_MAX_DROP, formatVerdict, QualityGateError, type QualityGateOptions } from '../indexing/quality-gate.js';

/** Exit codes: 1 a failed build, 2 bad arguments, 3 a build the quality gate refused. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_REFUSED = 3;

export const USAGE = `Usage: npm run prebuild -- --docs <folder> --out <index folder> [options]
       npm run prebuild -- --docs <folder> --store postgres://... [options]

  --docs <folder>         documents to index (.md, .markdown, .txt, .html, .htm, .pdf, .docx), searched recursively;
                          files that cannot be read (scanned or encrypted PDF, corrupt file) are skipped with a reason
  --out <folder>          index folder; the new generation replaces the live one atomically
  --store <postgres://…>  write the generation into PostgreSQL with pgvector instead (its own tables, made
                          live by one transaction; unchanged documents are read back, not embedded again)
  --model <ORG/NAME>      embedding model (env EMBEDDING_MODEL, default ${DEFAULT_EMBEDDING_CONFIG.model})
  --model-dir <folder>    local transformers.js models (env MODEL_DIR, default ./models)
  --allow-remote          let the model be downloaded into --model-dir (env ALLOW_REMOTE_MODELS=true)
  --dtype q8|fp32         quantized (default) or full-precision weights
  --chunk-tokens <n>      chunk size in model tokens (default ${DEFAULT_CHUNK_TOKENS}, capped at the model's limit)
  --overlap <n>           tokens repeated between neighbouring chunks (default ${DEFAULT_OVERLAP_TOKENS})
  --include <glob>        only files matching (repeatable)
  --exclude <glob>        skip files matching (repeatable)
  --lexical-only          no vectors: build the keyword index only (no model needed)
  --strict                fail the build (exit 1) when any document is skipped
  --full                  re-embed everything instead of reusing unchanged documents
  --no-vectra             skip the vectra LocalIndex export
  --no-sentence-vectors   do not embed the chunks' sentences at build time (about dimensions + 8 bytes a
                          sentence on disk; skipped anyway past ${SENTENCE_VECTORS_MAX_CHUNKS} chunks); extractive answers
                          then embed them per question, and only while the worker is idle
  --if-stale              do nothing when the index is already current (same documents, model, chunker)
  --lexical-fallback      when the model cannot be loaded, build a lexical-only index instead of failing
  --quiet                 no progress, summary only

Quality gate (the new generation is evaluated before it goes live; refused: exit ${EXIT_REFUSED}, the live one stays):
  --eval <questions.json> labelled questions (as for npm run eval); figures recorded in the manifest
  --min-recall5 <x>       refuse below this Recall@5 (0 to 1; hybrid, or lexical without vectors)
  --min-mrr10 <x>         refuse below this MRR@10 (0 to 1)
  --max-drop <x>          refuse a fall larger than this from the live generation's figures, when it was
                          evaluated with the same questions file (default ${DEFAULT_MAX_DROP})`;

function nonNegativeInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a non-negative integer, got "${value}"`);
  return n;
}

function qualityGateArgs(values: { eval?: string; 'min-recall5'?: string; 'min-mrr10'?: string; 'max-drop'?: string }): QualityGateOptions | undefined {
  const minRecallAt5 = fraction(values['min-recall5'], '--min-recall5');
  const minMrrAt10 = fraction(values['min-mrr10'], '--min-mrr10');
  const maxDrop = fraction(values['max-drop'], '--max-drop');
  if (!values.eval) {
    const orphan = Object.entries({ '--min-recall5': minRecallAt5, '--min-mrr10': minMrrAt10, '--max-drop': maxDrop }).find(([, n]) => n !== undefined);
    if (orphan) throw new UsageError(`${orphan[0]} needs --eval <questions.json>`);
    return undefined;
  }
  return {
    questionsFile: values.eval,
    ...(minRecallAt5 !== undefined ? { minRecallAt5 } : {}),
    ...(minMrrAt10 !== undefined ? { minMrrAt10 } : {}),
    ...(maxDrop !== undefined ? { maxDrop } : {}),
  };
}

/** Parse argv (and the environment's defaults) into prebuild options. Throws UsageError. */
export interface CliOptions extends PrebuildOptions {
  /** `--store postgres://...`: the PostgreSQL store instead of `outDir`. */
  store?: string;
  quiet: boolean;
  ifStale: boolean;
  lexicalFallback: boolean;
}

export function parsePrebuildArgs(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      docs: { type: 'string' }, out: { type: 'string' }, model: { type: 'string' }, 'model-dir': { type: 'string' },
      'allow-remote': { type: 'boolean' }, dtype: { type: 'string' }, 'chunk-tokens': { type: 'string' }, overlap: { type: 'string' },
      include: { type: 'string', multiple: true }, exclude: { type: 'string', multiple: true }, 'lexical-only': { type: 'boolean' },
      full: { type: 'boolean' }, 'no-vectra': { type: 'boolean' }, 'no-sentence-vectors': { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean' },
      'if-stale': { type: 'boolean' }, 'lexical-fallback': { type: 'boolean' }, strict: { type: 'boolean' },
      store: { type: 'string' }, eval: { type: 'string' }, 'min-recall5': { type: 'string' }, 'min-mrr10': { type: 'string' }, 'max-drop': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) throw new UsageError(USAGE);
  if (!values.docs || !(values.out || values.store)) throw new UsageError(`--docs and --out (or --store) are required\n\n${USAGE}`);
  if (values.store && !/^postgres(ql)?:\/\//.test(values.store)) throw new UsageError(`--store must be a postgres:// URL`);
  if (values.store && values['if-stale']) throw new UsageError('--if-stale is for an index folder (--out)');
  const dtype = values.dtype ?? DEFAULT_EMBEDDING_CONFIG.dtype;
  if (!isModelDtype(dtype)) throw new UsageError(`--dtype must be ${MODEL_DTYPES.join(' or ')}, got "${dtype}"`);
  const { model = DEFAULT_EMBEDDING_CONFIG.model, modelDir, allowRemote } = modelSettings(values, env);
  const embedding: EmbeddingConfig = { model, modelDir, allowRemote, dtype };
  const chunkTokens = nonNegativeInt(values['chunk-tokens'], '--chunk-tokens');
  const overlapTokens = nonNegativeInt(values.overlap, '--overlap');
  const qualityGate = qualityGateArgs(values);
  return {
    docsDir: values.docs,
    outDir: values.out ?? '',
    ...(values.store ? { store: values.store } : {}),
    embedding,
    ...(chunkTokens !== undefined ? { chunkTokens } : {}),
    ...(overlapTokens !== undefined ? { overlapTokens } : {}),
    ...(values.include ? { include: values.include } : {}),
    ...(values.exclude ? { exclude: values.exclude } : {}),
    ...(qualityGate ? { qualityGate } : {}),
    lexicalOnly: values['lexical-only'] ?? false,
    full: values.full ?? false,
    strict: values.strict ?? false,
    vectraExport: !values['no-vectra'],
    // The PostgreSQL store keeps no sentence vectors: its staged file generation need not embed them.
    ...(values['no-sentence-vectors'] || values.store ? { sentenceVectors: false } : {}),
    quiet: values.quiet ?? false,
    ifStale: values['if-stale'] ?? false,
    lexicalFallback: values['lexical-fallback'] ?? false,
  };
}

/** Skipped files in the summary, each with its reason; a long list is cut (every one was also warned about). */
const MAX_SKIPPED_LINES = 20;

function skippedLines(skipped: PrebuildReport['skipped']): string[] {
  const lines = skipped.slice(0, MAX_SKIPPED_LINES).map((doc) => `    skipped   ${doc.source}: ${doc.reason}`);
  if (skipped.length > MAX_SKIPPED_LINES) lines.push(`    skipped   … and ${skipped.length - MAX_SKIPPED_LINES} more`);
  return lines;
}

function sentenceLines(sentences: PrebuildReport['sentenceVectors']): string[] {
  if (!sentences) return [];
  const { sentences: rows, embedded, reusedChunks, seconds, bytes } = sentences;
  return [`  sentences   ${rows} (${embedded} embedded, ${reusedChunks} chunks reused) in ${seconds.toFixed(1)} s, ${(bytes / 1048576).toFixed(1)} MB on disk`];
}

export function formatSummary(report: PrebuildReport): string {
  const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;
  return [
    `Index ready: ${report.generationDir}`,
    `  documents   ${report.documents} (${report.skipped.length} skipped, ${report.reusedDocuments} unchanged and reused)`,
    ...skippedLines(report.skipped),
    `  chunks      ${report.chunks} (${report.embeddedChunks} embedded, ${report.reusedChunks} reused)`,
    `  tokens      ${report.tokens}`,
    `  model       ${report.manifest.model ? `${report.manifest.model.id} (${report.manifest.model.dimensions} dims)` : 'none: lexical only'}`,
    ...sentenceLines(report.sentenceVectors),
    `  time        ${report.seconds.toFixed(1)} s, ${report.chunksPerSecond.toFixed(1)} chunks/s`,
    `  peak RSS    ${mb(report.peakRssBytes)}`,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parsePrebuildArgs(argv, process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  try {
    if (options.ifStale) {
      const reason = await staleReason(options, options.lexicalFallback);
      if (reason === null) {
        process.stdout.write(`Index is current: ${path.resolve(options.outDir)}\n`);
        return 0;
      }
      process.stderr.write(`rebuilding: ${reason}\n`);
    }
    const run = async (lexicalOnly: boolean): Promise<PrebuildReport> =>
      (options.store ? await postgresPrebuild(options.store) : prebuild)({
        ...options,
        lexicalOnly,
        ...(options.quiet ? {} : { onProgress: progressPrinter(process.stderr) }),
        onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
      });
    let report: PrebuildReport;
    try {
      report = await run(options.lexicalOnly ?? false);
    } catch (error) {
      if (!options.lexicalFallback || !(error instanceof ModelNotFoundError)) throw error;
      process.stderr.write(`warning: ${error.message}\nwarning: building a lexical-only index instead (keyword search, no semantic search)\n`);
      report = await run(true);
    }
    process.stdout.write(`${formatSummary(report)}\n`);
    if (report.quality) process.stdout.write(`${formatVerdict(report.quality).join('\n')}\n`);
    return 0;
  } catch (error) {
    if (error instanceof QualityGateError) {
      process.stderr.write(`${formatVerdict(error.verdict).join('\n')}\nprebuild refused: ${error.message}\n`);
      return EXIT_REFUSED;
    }
    process.stderr.write(`prebuild failed: ${(error as Error).message}\n`);
    return EXIT_FAILED;
  }
}

/** `prebuild` into the PostgreSQL store at `url` (`pg` loaded only for it). */
async function postgresPrebuild(url: string): Promise<(options: PrebuildOptions) => Promise<PrebuildReport>> {
  const { prebuildToPostgres } = await import('../indexing/prebuild-postgres.js');
  // A drill (and the tests): pause with the new generation written but not live, so it can be killed there.
  const pauseMs = Number(process.env.PREBUILD_PAUSE_BEFORE_SWAP_MS ?? 0);
  return (options) => {
    const pgOptions: PostgresPrebuildOptions = {
      ...options,
      store: url,
      ...(pauseMs > 0 ? { beforeSwap: (generation: string) => (process.stderr.write(`generation ${generation} written, pausing ${pauseMs} ms before the swap\n`), new Promise<void>((resolve) => setTimeout(resolve, pauseMs))) } : {}),
    };
    return prebuildToPostgres(pgOptions);
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
