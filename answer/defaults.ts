/**
 * The service's answer defaults, defined once: `server/config.ts` derives its `DEFAULTS` strings
 * from them, and the offline evaluation scores with them, so its figures are the service's.
 */
import type { RelevanceFloors } from './relevance.js';

/** Passages an answer is drawn from (`TOP_K`): abstention and citations use these. */
export const DEFAULT_TOP_K = 5;

/** The abstention floors (`ABSTAIN_*`); see judgeRelevance. */
export const DEFAULT_FLOORS: Readonly<RelevanceFloors> = Object.freeze({
  minCoverage: 0.33,
  minKeywordMatch: 0.2,
  minSimilarity: 0.4,
  minCorpusSimilarity: 0.17,
  maxUnknownShare: 0.3,
});

/** How much a sentence's meaning counts in an extractive answer (`EXTRACTIVE_MEANING_WEIGHT`); see AnswererDeps.meaningWeight. */
export const DEFAULT_MEANING_WEIGHT = 6;

/**
 * The variables that set each abstention floor, and each one's range. The server reads them into
 * its config; the evaluation reads them too, so a floor set in the environment scores as it serves.
 */
export const FLOOR_VARIABLES = {
  minCoverage: ['ABSTAIN_MIN_COVERAGE', 0, 1],
  minKeywordMatch: ['ABSTAIN_MIN_KEYWORD_MATCH', 0, 1],
  minSimilarity: ['ABSTAIN_MIN_SIMILARITY', -1, 1],
  minCorpusSimilarity: ['ABSTAIN_MIN_CORPUS_SIMILARITY', -1, 1],
  maxUnknownShare: ['ABSTAIN_MAX_UNKNOWN_SHARE', 0, 1],
} as const satisfies Record<keyof RelevanceFloors, readonly [string, number, number]>;
