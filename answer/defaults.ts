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
