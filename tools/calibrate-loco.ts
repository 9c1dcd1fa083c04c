#!/usr/bin/env node
/**
 * `npm run eval:loco -- --set <name>=<index folder>:<questions.json> ...` (three or more sets):
 * chooses the relevance calibration's free numbers by leaving one corpus out. For each fold it fits
 * the quantiles of the unrelated questions' scores (see indexing/calibrate.ts) and the two
 * scale-free keyword floors on the other corpora, then reports the held-out corpus with them. No
 * figure printed for a corpus was fitted on that corpus's questions.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_FLOORS, DEFAULT_TOP_K } from '../answer/defaults.js';
import { judgeRelevance, resolveFloors, type RelevanceFloors } from '../answer/relevance.js';
import { contentStems } from '../text/terms.js';
import { UNRELATED_QUESTIONS } from '../indexing/calibration-questions.js';
import { floorsFromSignals, measureMeaningSignals, type CalibrationSettings, type MeaningSignals } from '../indexing/calibrate.js';
import { readGateQuestions } from '../indexing/quality-gate.js';
import { isNearMiss, isOffTopic, type EvalQuestion } from '../evaluation/questions.js';
import { loadEmbedderOrReason } from '../workers/embedder.js';
import { DEFAULT_MODEL_DIR } from '../workers/model-config.js';
import type { RelevanceCalibration } from '../store/manifest.js';
import type { SearchOutput } from '../workers/protocol.js';
import { Retriever } from '../workers/retriever.js';
import { UsageError } from './cli-env.js';

interface Corpus {
  name: string;
  unrelated: MeaningSignals[];
  /** How the unrelated questions scored on this index: what the combined score's signals are scaled by. */
  spread: RelevanceCalibration['unrelated'];
  searched: { question: EvalQuestion; output: SearchOutput }[];
}


interface Figures {
  falseAbstention: number;
  offTopic: number;
  nearMiss: number | null;
}

const GRID = {
  similarity: [0.5, 0.7, 0.8, 0.9, 0.95, 1],
  corpus: [0, 0.25, 0.5, 0.75, 0.9],
  minCoverage: [0, 0.1, 0.2, 0.25, 0.33],
  minKeywordMatch: [0.1, 0.2, 0.3],
};
/** By default a wrongly refused answerable question costs three times what a caught off-topic one gains (`--cost`). */
const DEFAULT_COST = 3;

async function openCorpus(name: string, indexDir: string, questionsFiles: string[], modelDir: string): Promise<Corpus> {
  const questions: EvalQuestion[] = [];
  for (const file of questionsFiles) questions.push(...(await readGateQuestions(file)).questions);
  const probe = await Retriever.open({ indexDir });
  const model = probe.index.manifest.model;
  if (!model) throw new UsageError(`${indexDir} has no vectors: calibration needs the model that built it`);
  const { embedder, error } = await loadEmbedderOrReason({ model: model.id, modelDir, allowRemote: false, dtype: model.dtype === 'fp32' ? 'fp32' : 'q8' });
  if (!embedder) throw new UsageError(`cannot load ${model.id}: ${error}`);
  const retriever = await Retriever.open({ indexDir, embedder });
  const unrelated = await measureMeaningSignals(retriever, UNRELATED_QUESTIONS, DEFAULT_TOP_K);
  const searched = [];
  for (const question of questions) searched.push({ question, output: await retriever.search({ query: question.question, topK: DEFAULT_TOP_K, mode: 'hybrid' }) });
  return { name, unrelated, spread: floorsFromSignals(unrelated).unrelated, searched };
}

function floorsFor(corpus: Corpus, params: CalibrationSettings): RelevanceFloors {
  return resolveFloors(DEFAULT_FLOORS, floorsFromSignals(corpus.unrelated, params));
}

function score(corpus: Corpus, floors: RelevanceFloors): Figures {
  const count = { answerable: 0, wrong: 0, offTopic: 0, caught: 0, nearMiss: 0, nearCaught: 0 };
  for (const { question, output } of corpus.searched) {
    const abstained = !judgeRelevance(question.question, output.hits, output.retrieval, floors, output.query).relevant;
    if (isOffTopic(question)) {
      count.offTopic++;
      if (abstained) count.caught++;
    } else if (isNearMiss(question)) {
      count.nearMiss++;
      if (abstained) count.nearCaught++;
    } else {
      count.answerable++;
      if (abstained) count.wrong++;
    }
  }
  return { falseAbstention: count.wrong / count.answerable, offTopic: count.caught / count.offTopic, nearMiss: count.nearMiss ? count.nearCaught / count.nearMiss : null };
}

function* grid(): Generator<CalibrationSettings> {
  for (const similarity of GRID.similarity) for (const corpus of GRID.corpus) for (const minCoverage of GRID.minCoverage) {
    for (const minKeywordMatch of GRID.minKeywordMatch) yield { similarityQuantile: similarity, corpusQuantile: corpus, minCoverage, minKeywordMatch };
  }
}

/** The grid point that does best on the training corpora: mean of (off-topic caught - cost x answerable refused). */
export function fit(training: Corpus[], cost = DEFAULT_COST): { params: CalibrationSettings; objective: number } {
  let best: { params: CalibrationSettings; objective: number } | undefined;
  for (const params of grid()) {
    const objective = training.reduce((sum, corpus) => {
      const f = score(corpus, floorsFor(corpus, params));
      return sum + f.offTopic - cost * f.falseAbstention;
    }, 0) / training.length;
    if (!best || objective > best.objective + 1e-12) best = { params, objective };
  }
  return best!;
}

/** One question's signals, scaled by what unrelated questions score on its own index. */
function features(corpus: Corpus, question: EvalQuestion, output: SearchOutput): number[] | null {
  const verdict = judgeRelevance(question.question, output.hits, output.retrieval, { minCoverage: 0, minKeywordMatch: 0, minSimilarity: -1, minCorpusSimilarity: -1, maxUnknownShare: 1 }, output.query);
  if (!verdict.relevant) return null;
  const u = corpus.spread;
  const { similarity, coverage, keywordMatch, corpusSimilarity, unknownWords } = verdict.signals;
  const stems = Math.max(1, contentStems(question.question).length);
  return [
    ((similarity ?? u.similarity.p50) - u.similarity.p50) / Math.max(1e-3, u.similarity.p90 - u.similarity.p50),
    ((corpusSimilarity ?? u.corpusSimilarity.p50) - u.corpusSimilarity.p50) / Math.max(1e-3, u.corpusSimilarity.p90 - u.corpusSimilarity.p50),
    keywordMatch ?? 0,
    coverage,
    unknownWords.length / stems,
  ];
}

interface Labelled { x: number[] | null; answerable: boolean; nearMiss: boolean }

function labelled(corpus: Corpus): Labelled[] {
  return corpus.searched.map(({ question, output }) => ({ x: features(corpus, question, output), answerable: !isOffTopic(question) && !isNearMiss(question), nearMiss: isNearMiss(question) }));
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const dotw = (w: number[], x: number[]) => x.reduce((sum, v, i) => sum + v * w[i]!, w[x.length]!);

/** Logistic regression, answerable against off-topic, classes weighted equally; then the threshold that refuses at most `maxRefused` of the training answerables. */
function fitLogistic(train: Labelled[], maxRefused: number): { w: number[]; threshold: number } {
  const rows = train.filter((r) => r.x && !r.nearMiss) as (Labelled & { x: number[] })[];
  const positives = rows.filter((r) => r.answerable).length;
  const w = new Array(rows[0]!.x.length + 1).fill(0) as number[];
  for (let step = 0; step < 3000; step++) {
    const grad = new Array(w.length).fill(0) as number[];
    for (const r of rows) {
      const weight = r.answerable ? 0.5 / positives : 0.5 / (rows.length - positives);
      const error = (sigmoid(dotw(w, r.x)) - (r.answerable ? 1 : 0)) * weight;
      r.x.forEach((v, i) => (grad[i]! += error * v));
      grad[r.x.length]! += error;
    }
    grad.forEach((g, i) => (w[i]! -= 2 * g));
  }
  const answerable = rows.filter((r) => r.answerable).map((r) => dotw(w, r.x)).sort((a, b) => a - b);
  const threshold = answerable[Math.floor(maxRefused * answerable.length)] ?? 0;
  return { w, threshold };
}

function scoreLogistic(rows: Labelled[], model: { w: number[]; threshold: number }): Figures {
  const refused = (r: Labelled) => !r.x || dotw(model.w, r.x) < model.threshold;
  const share = (list: Labelled[]) => (list.length ? list.filter(refused).length / list.length : null);
  return { falseAbstention: share(rows.filter((r) => r.answerable))!, offTopic: share(rows.filter((r) => !r.answerable && !r.nearMiss))!, nearMiss: share(rows.filter((r) => r.nearMiss)) };
}

const pct = (n: number | null) => (n === null ? '–' : n.toFixed(3));
const describe = (p: CalibrationSettings) => `similarity q${p.similarityQuantile}, corpus q${p.corpusQuantile}, coverage ${p.minCoverage}, keyword ${p.minKeywordMatch}`;

function row(label: string, corpus: Corpus, floors: RelevanceFloors): string {
  const f = score(corpus, floors);
  return `| ${label} | ${corpus.name} | ${pct(f.falseAbstention)} | ${pct(f.offTopic)} | ${pct(f.nearMiss)} | ${floors.minSimilarity.toFixed(3)} |`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { set: { type: 'string', multiple: true }, 'model-dir': { type: 'string' }, cost: { type: 'string' } }, strict: true });
  const cost = values.cost === undefined ? DEFAULT_COST : Number(values.cost);
  if (!Number.isFinite(cost) || cost < 0) throw new UsageError(`--cost must be a non-negative number, got "${values.cost}"`);
  const sets = values.set ?? [];
  if (sets.length < 3) throw new UsageError('give at least three --set <name>=<index folder>:<questions.json>[,<more.json>]');
  const modelDir = values['model-dir'] ?? process.env.MODEL_DIR ?? DEFAULT_MODEL_DIR;
  const corpora: Corpus[] = [];
  for (const set of sets) {
    const match = /^([^=]+)=([^:]+):(.+)$/.exec(set);
    if (!match) throw new UsageError(`--set must be <name>=<index folder>:<questions.json>, got "${set}"`);
    corpora.push(await openCorpus(match[1]!, match[2]!, match[3]!.split(','), modelDir));
  }
  console.log('| floors | held-out corpus | answerable refused | off-topic refused | near-miss refused | similarity floor |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const corpus of corpora) console.log(row('fixed defaults', corpus, DEFAULT_FLOORS));
  for (const held of corpora) {
    const { params } = fit(corpora.filter((c) => c !== held), cost);
    console.log(row(`fitted without it: ${describe(params)}`, held, floorsFor(held, params)));
  }
  for (const held of corpora) {
    const model = fitLogistic(corpora.filter((c) => c !== held).flatMap(labelled), 0.03);
    const f = scoreLogistic(labelled(held), model);
    console.log(`| combined score fitted without it (w ${model.w.map((v) => v.toFixed(2)).join(' ')}, t ${model.threshold.toFixed(2)}) | ${held.name} | ${pct(f.falseAbstention)} | ${pct(f.offTopic)} | ${pct(f.nearMiss)} | – |`);
  }
  const all = fit(corpora, cost);
  console.log(`\nFitted on all ${corpora.length} corpora (for the defaults, not a result): ${describe(all.params)}`);
}

main().catch((error: unknown) => {
  console.error(`eval:loco failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
