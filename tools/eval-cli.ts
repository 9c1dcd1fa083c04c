#!/usr/bin/env node
/** `npm run eval -- --index <folder> --questions <file> [--questions <file> ...]`: a thin edge over `evaluate()`. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { locateIndex, readManifest } from '../store/index-files.js';
import type { EmbeddingConfig } from '../workers/model-config.js';
import type { RetrievalMode } from '../workers/protocol.js';
import { ALL_MODES, evaluate, type EvalReport } from '../evaluation/evaluate.js';
import { parseQuestions, QuestionsFileError, type EvalQuestion } from '../evaluation/questions.js';
import { formatHeader, formatMarkdown, formatNotices, formatTable } from '../evaluation/report.js';
import { floorsFromEnv, fraction, modelSettings, UsageError } from './cli-env.js';
import type { RelevanceFloors } from '../answer/relevance.js';

export const USAGE = `Usage: npm run eval -- --index <folder> --questions <file> [--questions <file> ...] [options]

  --index <folder>            index folder built by prebuild; give it once for every set, or once per
                              --questions, paired in order
  --questions <file>          JSON array: {id, question, source, heading, evidence?, evidenceKey?, style?},
                              {id, question, nearMiss: true, source} or {id, question, offTopic: true};
                              repeat to evaluate several sets in one run
  --model <ORG/NAME>          embedding model (env EMBEDDING_MODEL, default: the model the index was built with)
  --model-dir <folder>        local transformers.js models (env MODEL_DIR, default ./models)
  --modes <list>              comma-separated, from ${ALL_MODES.join(', ')} (default all three)
  --out <folder>              also write <folder>/eval.json and <folder>/eval.md (several sets:
                              <folder>/<questions file name>/eval.json and eval.md)
  --fail-under-recall5 <x>    exit 1 when hybrid Recall@5 is below x (0 to 1), in any set
  --json                      print the JSON report only (several sets: {"sets": [{questionsFile, report}]})`;

/** One questions file and the index it is asked of. */
export interface EvalSet {
  questionsFile: string;
  indexDir: string;
}

export interface EvalCliOptions {
  /** In the order given; one set prints exactly as the single-file eval always has. */
  sets: EvalSet[];
  /** Undefined: the model named in the index's manifest. */
  model: string | undefined;
  modelDir: string;
  allowRemote: boolean;
  modes: RetrievalMode[];
  outDir: string | undefined;
  failUnderRecall5: number | undefined;
  json: boolean;
  /** `EXTRACTIVE_MEANING_WEIGHT` from the environment, as the service reads it; undefined: its default. */
  meaningWeight: number | undefined;
  /** `ABSTAIN_*` from the environment: they outrank each index's own calibration, as in the service. */
  floors: Partial<RelevanceFloors>;
}

function parseModes(value: string | undefined): RetrievalMode[] {
  if (value === undefined) return [...ALL_MODES];
  const modes = value.split(',').map((m) => m.trim()).filter(Boolean);
  const unknown = modes.filter((m) => !(ALL_MODES as readonly string[]).includes(m));
  if (unknown.length || modes.length === 0) throw new UsageError(`--modes must list some of ${ALL_MODES.join(', ')}, got "${value}"`);
  return [...new Set(modes as RetrievalMode[])];
}

function parseMeaningWeight(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new UsageError(`EXTRACTIVE_MEANING_WEIGHT must be a number from 0 to 100, got "${value}"`);
  return n;
}

function pairSets(indexes: string[], questions: string[]): EvalSet[] {
  if (indexes.length !== 1 && indexes.length !== questions.length) {
    throw new UsageError(`--index must be given once, or once per --questions (${questions.length}), got ${indexes.length}`);
  }
  return questions.map((questionsFile, i) => ({ questionsFile, indexDir: indexes[indexes.length === 1 ? 0 : i]! }));
}

/** Parse argv (and the environment's defaults) into options. Throws UsageError. */
export function parseEvalArgs(argv: string[], env: NodeJS.ProcessEnv): EvalCliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      index: { type: 'string', multiple: true }, questions: { type: 'string', multiple: true }, model: { type: 'string' }, 'model-dir': { type: 'string' },
      modes: { type: 'string' }, out: { type: 'string' }, 'fail-under-recall5': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) throw new UsageError(USAGE);
  if (!values.index?.length || !values.questions?.length) throw new UsageError(`--index and --questions are required\n\n${USAGE}`);
  return {
    sets: pairSets(values.index, values.questions),
    ...modelSettings(values, env),
    modes: parseModes(values.modes),
    outDir: values.out,
    failUnderRecall5: fraction(values['fail-under-recall5'], '--fail-under-recall5'),
    json: values.json ?? false,
    meaningWeight: parseMeaningWeight(env.EXTRACTIVE_MEANING_WEIGHT),
    floors: floorsFromEnv(env),
  };
}

async function readQuestions(file: string): Promise<EvalQuestion[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new QuestionsFileError(file, `cannot be read as JSON (${(cause as Error).message})`, { cause });
  }
  return parseQuestions(json, file);
}

/**
 * The model to search with: the one asked for, else the one that built the index (so a plain
 * run never trips over a fingerprint mismatch). Null for an index without vectors.
 */
async function embeddingFor(indexDir: string, options: EvalCliOptions): Promise<EmbeddingConfig | null> {
  const built = (await readManifest(await locateIndex(indexDir))).model;
  if (!built) return null;
  return { model: options.model ?? built.id, modelDir: options.modelDir, allowRemote: options.allowRemote, dtype: built.dtype === 'fp32' ? 'fp32' : 'q8' };
}

async function writeReport(outDir: string, report: EvalReport): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'eval.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(path.join(outDir, 'eval.md'), formatMarkdown(report));
}

/** The CI gate: a reason to fail, or null. No hybrid figures (no model) fails too: the gate cannot vouch. */
export function recallGateFailure(report: EvalReport, floor: number): string | null {
  const hybrid = report.modes.find((m) => m.mode === 'hybrid');
  if (!hybrid) return `hybrid Recall@5 was not measured (${report.skippedModes.find((s) => s.mode === 'hybrid')?.reason ?? 'hybrid not in --modes'})`;
  return hybrid.recallAt5 < floor ? `hybrid Recall@5 ${hybrid.recallAt5.toFixed(3)} is below ${floor}` : null;
}

/**
 * Where each set's report goes under `--out`: the folder itself for one set, else a folder per
 * set named for its questions file (numbered when two files share a name).
 */
export function outFolders(outDir: string, sets: EvalSet[]): string[] {
  if (sets.length === 1) return [outDir];
  const names = sets.map((s) => path.basename(s.questionsFile).replace(/\.json$/i, ''));
  return names.map((name, i) => path.join(outDir, names.indexOf(name) === i && names.lastIndexOf(name) === i ? name : `${i + 1}-${name}`));
}

async function runSets(options: EvalCliOptions): Promise<EvalReport[]> {
  const folders = options.outDir ? outFolders(options.outDir, options.sets) : [];
  const reports: EvalReport[] = [];
  for (const [i, set] of options.sets.entries()) {
    const questions = await readQuestions(set.questionsFile);
    const meaning = options.meaningWeight !== undefined ? { meaningWeight: options.meaningWeight } : {};
    const report = await evaluate({ questions, indexDir: set.indexDir, embedding: await embeddingFor(set.indexDir, options), modes: options.modes, floors: options.floors, ...meaning });
    if (folders[i]) await writeReport(folders[i], report);
    reports.push(report);
  }
  return reports;
}

function printReports(options: EvalCliOptions, reports: EvalReport[]): void {
  const several = reports.length > 1;
  const notes = (report: EvalReport) => formatNotices(report).map((n) => `note: ${n}\n`).join('');
  if (options.json) {
    // stdout stays one JSON document for a pipe; the notes are in it too (skippedModes, unmatchedLabels).
    const json = several ? { sets: reports.map((report, i) => ({ questionsFile: options.sets[i]!.questionsFile, report })) } : reports[0];
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    process.stderr.write(reports.map(notes).join(''));
    return;
  }
  const folders = options.outDir ? outFolders(options.outDir, options.sets) : [];
  for (const [i, report] of reports.entries()) {
    if (several) process.stdout.write(`## ${options.sets[i]!.questionsFile}\n\n`);
    process.stdout.write(`${formatHeader(report)}\n\n${formatTable(report)}\n\n${notes(report)}`);
    if (folders[i]) process.stdout.write(`Report written to ${path.join(folders[i], 'eval.md')} and eval.json\n`);
    if (several && i < reports.length - 1) process.stdout.write('\n');
  }
}

export async function main(argv: string[]): Promise<number> {
  let options: EvalCliOptions;
  try {
    options = parseEvalArgs(argv, process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  let reports: EvalReport[];
  try {
    reports = await runSets(options);
  } catch (error) {
    process.stderr.write(`eval failed: ${(error as Error).message}\n`);
    return 1;
  }
  printReports(options, reports);
  const floor = options.failUnderRecall5;
  const failures = floor === undefined ? [] : reports.flatMap((report, i) => {
    const failure = recallGateFailure(report, floor);
    return failure ? [reports.length > 1 ? `${options.sets[i]!.questionsFile}: ${failure}` : failure] : [];
  });
  for (const failure of failures) process.stderr.write(`eval gate failed: ${failure}\n`);
  return failures.length ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
