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

/** Which quantile of the unrelated questions' scores each floor sits at (0 to 1). */
export interface CalibrationQuantiles {
  similarity: number;
  corpus: number;
}

export const DEFAULT_CALIBRATION_QUANTILES: Readonly<CalibrationQuantiles> = Object.freeze({ similarity: 0.9, corpus: 0.5 });

/** The service's signals for one question: best passage cosine and cosine with the corpus mean. */
export interface MeaningSignals {
  similarity: number;
  corpusSimilarity: number;
}

const round = (n: number) => Math.round(n * 1e4) / 1e4;

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
export function floorsFromSignals(signals: MeaningSignals[], quantiles: CalibrationQuantiles = DEFAULT_CALIBRATION_QUANTILES): RelevanceCalibration {
  const similarity = signals.map((s) => s.similarity);
  const corpus = signals.map((s) => s.corpusSimilarity);
  return {
    minSimilarity: round(percentile(similarity, quantiles.similarity * 100)),
    minCorpusSimilarity: round(percentile(corpus, quantiles.corpus * 100)),
    method: { unrelatedQuestions: signals.length, similarityQuantile: quantiles.similarity, corpusQuantile: quantiles.corpus },
    unrelated: { similarity: spread(similarity), corpusSimilarity: spread(corpus) },
  };
}

/** Calibrate an open generation; null when it cannot search by meaning (no vectors or no model). */
export async function calibrateRelevance(retriever: Retriever, topK: number, quantiles?: CalibrationQuantiles): Promise<RelevanceCalibration | null> {
  if (retriever.retrieval !== 'hybrid') return null;
  const signals = await measureMeaningSignals(retriever, UNRELATED_QUESTIONS, topK);
  return signals.length ? floorsFromSignals(signals, quantiles) : null;
}
