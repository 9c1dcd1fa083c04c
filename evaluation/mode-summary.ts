/** One retrieval mode's figures over a set's per-question results. */
import type { RetrievalMode } from '../workers/protocol.js';
import type { QuestionModeResult, QuestionResult } from './evaluate.js';
import { abstentionFigures, mean, percentile, recallAt, reciprocalRank, share, type AbstentionCounts, type AbstentionFigures } from './metrics.js';
import type { QuestionStyle } from './questions.js';

/** Ranks looked at for MRR and nDCG. */
export const CUTOFF = 10;

export function round4(n: number): number;
export function round4(n: number | null): number | null;
/** Four decimals: figures compared across runs, not noise. */
export function round4(n: number | null): number | null {
  return n === null ? null : Math.round(n * 1e4) / 1e4;
}

/** Recall@5 over the answerable questions written in one style. */
export interface StyleRecall {
  style: QuestionStyle;
  questions: number;
  recallAt5: number;
}

export interface ModeSummary {
  mode: RetrievalMode;
  recallAt1: number;
  recallAt5: number;
  mrrAt10: number;
  ndcgAt10: number;
  latency: { meanMs: number; p95Ms: number };
  /** Answerable and off-topic questions only: near-misses have their own figure. */
  abstention: AbstentionCounts & AbstentionFigures;
  /** Present when the set has near-miss questions: those that abstained, as they should. */
  nearMiss?: { questions: number; abstained: number; share: number | null };
  /** Present when some answerable question has a style, in the order styles first appear. */
  byStyle?: StyleRecall[];
  citations: {
    /** Answerable questions answered (not abstained). */
    answers: number;
    cited: number;
    /** Share of cited passages that the hit rule accepts. */
    relevantShare: number | null;
    /** Share of answers citing at least one relevant passage. */
    answersCitingRelevant: number | null;
    /** Cited passages of questions whose label has evidence (quoted or keyed), and the share holding it. */
    citedWithEvidenceLabel: number;
    evidenceShare: number | null;
    /** Answers to questions whose label has evidence, and the share whose quoted sentences hold it. */
    answersWithEvidenceLabel: number;
    answersQuotingEvidence: number | null;
  };
}

function citationSummary(answered: QuestionModeResult[]): ModeSummary['citations'] {
  const cited = answered.flatMap((r) => r.cited ?? []);
  const labelled = cited.filter((c) => c.evidence !== null);
  const withEvidence = answered.filter((r) => r.quotesEvidence !== null && r.quotesEvidence !== undefined);
  return {
    answers: answered.length,
    cited: cited.length,
    relevantShare: round4(share(cited.filter((c) => c.relevant).length, cited.length)),
    answersCitingRelevant: round4(share(answered.filter((r) => r.cited?.some((c) => c.relevant)).length, answered.length)),
    citedWithEvidenceLabel: labelled.length,
    evidenceShare: round4(share(labelled.filter((c) => c.evidence).length, labelled.length)),
    answersWithEvidenceLabel: withEvidence.length,
    answersQuotingEvidence: round4(share(withEvidence.filter((r) => r.quotesEvidence).length, withEvidence.length)),
  };
}

/** Whether a result is an answerable question's: neither off-topic nor a near-miss. */
export function isAnswerableResult(result: QuestionResult): boolean {
  return !result.offTopic && result.nearMiss !== true;
}

function styleRecall(answerable: QuestionResult[], mode: RetrievalMode): StyleRecall[] | undefined {
  const byStyle = new Map<QuestionStyle, (number | null)[]>();
  for (const r of answerable) if (r.style) byStyle.set(r.style, [...(byStyle.get(r.style) ?? []), r.modes[mode]!.firstRelevantRank]);
  if (byStyle.size === 0) return undefined;
  return [...byStyle].map(([style, ranks]) => ({ style, questions: ranks.length, recallAt5: round4(recallAt(ranks, 5)) }));
}

function nearMissSummary(results: QuestionResult[], mode: RetrievalMode): ModeSummary['nearMiss'] {
  const nearMisses = results.filter((r) => r.nearMiss === true);
  if (nearMisses.length === 0) return undefined;
  const abstained = nearMisses.filter((r) => r.modes[mode]!.abstained).length;
  return { questions: nearMisses.length, abstained, share: round4(share(abstained, nearMisses.length)) };
}

/** The figures of one mode. Optional parts appear only for sets that have what they measure, so older sets report as before. */
export function summarize(mode: RetrievalMode, results: QuestionResult[]): ModeSummary {
  const of = (r: QuestionResult) => r.modes[mode]!;
  const answerableResults = results.filter(isAnswerableResult);
  const answerable = answerableResults.map(of);
  const offTopic = results.filter((r) => r.offTopic).map(of);
  const firstRanks = answerable.map((r) => r.firstRelevantRank);
  const latencies = results.map((r) => of(r).latencyMs);
  const counts: AbstentionCounts = {
    offTopic: offTopic.length,
    offTopicAbstained: offTopic.filter((r) => r.abstained).length,
    answerable: answerable.length,
    answerableAbstained: answerable.filter((r) => r.abstained).length,
  };
  const figures = abstentionFigures(counts);
  const nearMiss = nearMissSummary(results, mode);
  const byStyle = styleRecall(answerableResults, mode);
  return {
    mode,
    recallAt1: round4(recallAt(firstRanks, 1)),
    recallAt5: round4(recallAt(firstRanks, 5)),
    mrrAt10: round4(mean(firstRanks.map((rank) => reciprocalRank(rank, CUTOFF)))),
    ndcgAt10: round4(mean(answerable.map((r) => r.ndcg))),
    latency: { meanMs: round4(mean(latencies)), p95Ms: round4(percentile(latencies, 95)) },
    abstention: { ...counts, recall: round4(figures.recall), falseAbstentionRate: round4(figures.falseAbstentionRate), precision: round4(figures.precision) },
    ...(nearMiss ? { nearMiss } : {}),
    ...(byStyle ? { byStyle } : {}),
    citations: citationSummary(answerable.filter((r) => !r.abstained)),
  };
}
