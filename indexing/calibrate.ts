/**
 * Relevance calibration at build time: ask the new generation questions no handbook answers, with
 * the model that built it, and set the model-dependent abstention floors from how high they score.
 * The quantiles are the only fitted numbers, and they were chosen by leaving one corpus out (README
 * "Abstaining"); the floors themselves belong to each index.
 */
import type { RelevanceCalibration, ScoreSpread } from '../store/manifest.js';
import type { Retriever } from '../workers/retriever.js';
import { percentile } from '../evaluation/metrics.js';
import { UNRELATED_QUESTIONS } from './calibration-questions.js';

/**
 * The calibration's free numbers: which quantile (0 to 1) of the unrelated questions' scores each
 * similarity floor sits at, and the keyword floors used beside them in hybrid search.
 */
export interface CalibrationSettings {
  similarityQuantile: number;
  corpusQuantile: number;
  minCoverage: number;
  minKeywordMatch: number;
}

/**
 * Fitted by `npm run eval:loco` on the three paraphrased sets together (README "Abstaining", where
 * each corpus's figures come from a fit that left it out). The coverage floor of the fixed rule
 * (a third of the question's words in the passages) is what refused paraphrases most: here it is off.
 */
export const DEFAULT_CALIBRATION: Readonly<CalibrationSettings> = Object.freeze({ similarityQuantile: 0.95, corpusQuantile: 0.75, minCoverage: 0.2, minKeywordMatch: 0.1 });

/** The service's signals for one question: best passage cosine and cosine with the corpus mean. */
export interface MeaningSignals {
  similarity: number;
  corpusSimilarity: number;
}

/** Bumped when the unrelated questions or the way floors are derived change: `--if-stale` then calibrates again. */
export const CALIBRATION_REVISION = 1;

const round = (n: number) => Math.round(n * 1e4) / 1e4;

/** Why a recorded calibration is not what a build with `settings` would record now, or null. */
export function calibrationStale(recorded: RelevanceCalibration | undefined, settings: CalibrationSettings = DEFAULT_CALIBRATION): string | null {
  if (!recorded) return 'built without a relevance calibration';
  const { method } = recorded;
  if (method.revision !== CALIBRATION_REVISION) return 'calibrated by an older revision';
  const same = method.similarityQuantile === settings.similarityQuantile && method.corpusQuantile === settings.corpusQuantile && recorded.minCoverage === settings.minCoverage && recorded.minKeywordMatch === settings.minKeywordMatch;
  return same ? null : 'calibrated with other settings';
}

function spread(values: number[]): ScoreSpread {
  return { p50: round(percentile(values, 50)), p90: round(percentile(values, 90)), max: round(Math.max(...values)) };
}

/** Search each question as the service would (top `topK`) and read the meaning signals the abstention rule reads. */
export async function measureMeaningSignals(retriever: Retriever, questions: readonly string[], topK: number): Promise<MeaningSignals[]> {
  const signals: MeaningSignals[] = [];
  for (const query of questions) {
    const output = await retriever.search({ query, topK, mode: 'hybrid' });
    const cosines = output.hits.flatMap((hit) => (hit.scores.vector ? [hit.scores.vector.score] : []));
    const corpusSimilarity = output.query?.corpusSimilarity;
    if (!cosines.length || corpusSimilarity === null || corpusSimilarity === undefined) continue;
    signals.push({ similarity: Math.max(...cosines), corpusSimilarity });
  }
  return signals;
}

/** Floors from measured signals of unrelated questions. */
export function floorsFromSignals(signals: MeaningSignals[], settings: CalibrationSettings = DEFAULT_CALIBRATION): RelevanceCalibration {
  const similarity = signals.map((s) => s.similarity);
  const corpus = signals.map((s) => s.corpusSimilarity);
  return {
    minSimilarity: round(percentile(similarity, settings.similarityQuantile * 100)),
    minCorpusSimilarity: round(percentile(corpus, settings.corpusQuantile * 100)),
    minCoverage: settings.minCoverage,
    minKeywordMatch: settings.minKeywordMatch,
    method: { revision: CALIBRATION_REVISION, unrelatedQuestions: signals.length, similarityQuantile: settings.similarityQuantile, corpusQuantile: settings.corpusQuantile },
    unrelated: { similarity: spread(similarity), corpusSimilarity: spread(corpus) },
  };
}

/** Calibrate an open generation; null when it cannot search by meaning (no vectors or no model). */
export async function calibrateRelevance(retriever: Retriever, topK: number, settings?: CalibrationSettings): Promise<RelevanceCalibration | null> {
  if (retriever.retrieval !== 'hybrid') return null;
  const signals = await measureMeaningSignals(retriever, UNRELATED_QUESTIONS, topK);
  return signals.length ? floorsFromSignals(signals, settings) : null;
}
