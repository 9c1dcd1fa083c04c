/**
 * The prebuild quality gate: a new generation answers labelled questions before it goes live, and
 * is refused when its figures are below the floors asked for, or fell too far from the live
 * generation's figures on the same questions file.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { rejectGeneration } from '../store/atomic-swap.js';
import { locateIndex, readManifest, writeManifest } from '../store/index-files.js';
import type { Manifest, QualityRecord } from '../store/manifest.js';
import type { Embedder } from '../workers/embedder.js';
import { Retriever } from '../workers/retriever.js';
import { evaluate } from '../evaluation/evaluate.js';
import { parseQuestions, QuestionsFileError, type EvalQuestion } from '../evaluation/questions.js';

export const DEFAULT_MAX_DROP = 0.02;
/** Figures are rounded to four places; a drop of exactly `maxDrop` must not fail on float noise. */
const EPSILON = 1e-9;

/** What the gate holds a generation to. */
export interface QualityLimits {
  /** Refuse below this Recall@5 (0 to 1). */
  minRecallAt5?: number;
  /** Refuse below this MRR@10 (0 to 1). */
  minMrrAt10?: number;
  /** Largest fall from the live generation's figures still accepted (default 0.02). */
  maxDrop?: number;
}

export interface QualityGateOptions extends QualityLimits {
  questionsFile: string;
}

/** A questions file read once, before the build, so a bad file fails before any work is done. */
export interface GateQuestions {
  file: string;
  sha256: string;
  questions: EvalQuestion[];
}

export async function readGateQuestions(file: string): Promise<GateQuestions> {
  let bytes: Buffer;
  let json: unknown;
  try {
    bytes = await readFile(file);
    json = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new QuestionsFileError(file, `cannot be read as JSON (${(cause as Error).message})`, { cause });
  }
  return { file, sha256: createHash('sha256').update(bytes).digest('hex'), questions: parseQuestions(json, file) };
}

type GatedFigure = 'recallAt5' | 'mrrAt10';
const LABELS: Record<GatedFigure, string> = { recallAt5: 'Recall@5', mrrAt10: 'MRR@10' };

/** One gated figure, held against its floor and against the live generation. */
export interface GateCheck {
  figure: GatedFigure;
  value: number;
  min?: number;
  live?: number;
  failures: string[];
}

export interface QualityVerdict {
  passed: boolean;
  record: QualityRecord;
  checks: GateCheck[];
  maxDrop: number;
  /** The live generation compared against, when it was evaluated with the same questions file. */
  comparedWith?: string;
  /** Why there was no comparison with the live generation. */
  notCompared?: string;
  /** Labels that no chunk of the new generation matches: they can only score zero. */
  unmatchedLabels: number;
  failures: string[];
}

/** The gate refused the new generation; the live one is untouched. */
export class QualityGateError extends Error {
  override name = 'QualityGateError';
  readonly code = 'QUALITY_GATE';
  constructor(readonly verdict: QualityVerdict, readonly rejectedDir: string, readonly liveGeneration: string | undefined) {
    super(
      `Quality gate refused the new index generation: ${verdict.failures.join('; ')}. ` +
        `${liveGeneration ? `${liveGeneration} stays live` : 'No generation is live'}; the refused one is kept for inspection in ${rejectedDir}`,
    );
  }
}

interface LiveQuality {
  generation: string;
  quality: QualityRecord | undefined;
}

async function liveQuality(indexDir: string): Promise<LiveQuality | undefined> {
  try {
    const dir = await locateIndex(indexDir);
    return { generation: path.basename(dir), quality: (await readManifest(dir)).quality };
  } catch {
    return undefined;
  }
}

/** Evaluate a generation folder that is not live yet, with the embedder the build already holds. */
async function measure(generationDir: string, embedder: Embedder | undefined, gate: GateQuestions): Promise<{ record: QualityRecord; unmatchedLabels: number }> {
  const retriever = await Retriever.open({ indexDir: generationDir, embedder, withoutModelReason: embedder ? undefined : 'built without vectors' });
  const mode = retriever.retrieval === 'hybrid' ? 'hybrid' : 'lexical';
  const report = await evaluate({ retriever, questions: gate.questions, modes: [mode] });
  const figures = report.modes.find((m) => m.mode === mode)!;
  return {
    record: {
      questionsSha256: gate.sha256,
      questionsFile: gate.file,
      questions: report.counts.answerable,
      recallAt5: figures.recallAt5,
      mrrAt10: figures.mrrAt10,
      ndcgAt10: figures.ndcgAt10,
      recallAt1: figures.recallAt1,
      mode,
      evaluatedAt: new Date().toISOString(),
    },
    unmatchedLabels: report.unmatchedLabels.length,
  };
}

/** Hold measured figures against the floors and the live generation's figures. Pure. */
export function judgeQuality(record: QualityRecord, options: QualityLimits, live: LiveQuality | undefined, unmatchedLabels = 0): QualityVerdict {
  const maxDrop = options.maxDrop ?? DEFAULT_MAX_DROP;
  const same = live?.quality?.questionsSha256 === record.questionsSha256 ? live?.quality : undefined;
  const notCompared = !live
    ? 'no generation is live'
    : !live.quality
      ? `${live.generation} has no recorded figures`
      : same
        ? undefined
        : `${live.generation} was evaluated with another questions file (${live.quality.questionsFile}, sha256 ${live.quality.questionsSha256.slice(0, 12)})`;
  const checks = (['recallAt5', 'mrrAt10'] as const).map((figure): GateCheck => {
    const value = record[figure];
    const min = figure === 'recallAt5' ? options.minRecallAt5 : options.minMrrAt10;
    const prior = same?.[figure];
    const name = `${record.mode} ${LABELS[figure]} ${value.toFixed(4)}`;
    const failures: string[] = [];
    if (min !== undefined && value < min) failures.push(`${name} is below the minimum ${min}`);
    if (prior !== undefined && prior - value > maxDrop + EPSILON) {
      // Say so when the modes differ (a lexical-only fallback build against a hybrid live one): the drop is the lost model.
      const liveMode = same!.mode === record.mode ? '' : ` (${same!.mode} search)`;
      failures.push(`${name} fell ${(prior - value).toFixed(4)} from ${prior.toFixed(4)}${liveMode} in ${live!.generation}, more than the ${maxDrop} allowed`);
    }
    return { figure, value, ...(min !== undefined ? { min } : {}), ...(prior !== undefined ? { live: prior } : {}), failures };
  });
  const failures = checks.flatMap((check) => check.failures);
  return {
    passed: failures.length === 0,
    record,
    checks,
    maxDrop,
    ...(same ? { comparedWith: live!.generation } : {}),
    ...(notCompared ? { notCompared } : {}),
    unmatchedLabels,
    failures,
  };
}

export interface GateRun {
  indexDir: string;
  /** The new generation, written in full but not committed. */
  tempDir: string;
  name: string;
  manifest: Manifest;
  embedder: Embedder | undefined;
  questions: GateQuestions;
  options: QualityGateOptions;
}

/**
 * Evaluate the new generation and record its figures in its manifest. On refusal, set it aside as
 * `rejected-<name>` (see store/index-layout.ts) and throw QualityGateError; the caller then commits nothing.
 */
export async function runQualityGate(run: GateRun): Promise<QualityVerdict> {
  const live = await liveQuality(run.indexDir);
  const { record, unmatchedLabels } = await measure(run.tempDir, run.embedder, run.questions);
  const verdict = judgeQuality(record, run.options, live, unmatchedLabels);
  run.manifest.quality = record;
  await writeManifest(run.tempDir, run.manifest);
  if (!verdict.passed) {
    const rejectedDir = await rejectGeneration(run.indexDir, run.tempDir, run.name);
    throw new QualityGateError(verdict, rejectedDir, live?.generation);
  }
  return verdict;
}

/** The gate's figures as printed lines: the gated two against floor and live, then the others. */
export function formatVerdict(verdict: QualityVerdict): string[] {
  const { record } = verdict;
  const lines = [
    `Quality gate ${verdict.passed ? 'passed' : 'REFUSED'}: ${record.mode} search, ${record.questions} answerable questions from ${record.questionsFile} (sha256 ${record.questionsSha256.slice(0, 12)})`,
  ];
  for (const check of verdict.checks) {
    const min = check.min !== undefined ? `  min ${check.min.toFixed(4)}` : '';
    const live = check.live !== undefined ? `  live ${check.live.toFixed(4)} (${signed(check.value - check.live)}, max drop ${verdict.maxDrop})` : '';
    lines.push(`  ${LABELS[check.figure].padEnd(9)} ${check.value.toFixed(4)}${min}${live}  ${check.failures.length ? 'FAIL' : 'ok'}`);
  }
  lines.push(`  nDCG@10   ${record.ndcgAt10.toFixed(4)}   Recall@1 ${record.recallAt1.toFixed(4)}`);
  if (verdict.comparedWith) lines.push(`  compared with the live generation ${verdict.comparedWith}`);
  if (verdict.notCompared) lines.push(`  not compared with the live generation: ${verdict.notCompared}`);
  if (verdict.unmatchedLabels) lines.push(`  note: ${verdict.unmatchedLabels} labels match no chunk of the new generation`);
  return lines;
}

function signed(n: number): string {
  return `${n >= 0 ? '+' : ''}${n.toFixed(4)}`;
}
