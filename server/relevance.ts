import type { RetrievalMode, SearchHit } from '../workers/protocol.js';
import { contentStems, stemSet } from '../workers/terms.js';

export interface RelevanceFloors {
  /** Best passage's cosine similarity below this: abstain (hybrid only; depends on the model). */
  minSimilarity: number;
  /** Share of the question's content words found in the top three passages. */
  minCoverage: number;
  /** The same for lexical-only retrieval, which finds fewer paraphrases. */
  minCoverageLexical: number;
  /** Best BM25 score per content word that overrides low coverage (a strong keyword match). */
  strongKeywordScore: number;
}

export interface RelevanceVerdict {
  relevant: boolean;
  /** The figures behind the verdict, returned with answers so a client can see why. */
  signals: { similarity: number | null; coverage: number; keywordScore: number | null };
  reason?: string;
}

const PASSAGES_FOR_COVERAGE = 3;

/**
 * Whether the retrieved passages can answer the question at all. Calibrated on the sample
 * corpus's 208 answerable and 22 off-topic questions (README, "Abstaining"): coverage of the
 * question's words carries over between corpora; the similarity floor belongs to one model.
 */
export function judgeRelevance(question: string, hits: SearchHit[], retrieval: RetrievalMode, floors: RelevanceFloors): RelevanceVerdict {
  if (hits.length === 0) return { relevant: false, signals: { similarity: null, coverage: 0, keywordScore: null }, reason: 'nothing matched' };
  const stems = contentStems(question);
  const bag = new Set<string>();
  for (const hit of hits.slice(0, PASSAGES_FOR_COVERAGE)) for (const s of stemSet([hit.title, ...hit.headings, hit.text].join('\n'))) bag.add(s);
  const coverage = stems.length ? stems.filter((s) => bag.has(s)).length / stems.length : 1;
  const similarities = hits.flatMap((hit) => (hit.scores.vector ? [hit.scores.vector.score] : []));
  const similarity = similarities.length ? Math.max(...similarities) : null;
  const keywords = hits.flatMap((hit) => (hit.scores.lexical ? [hit.scores.lexical.score] : []));
  const keywordScore = keywords.length ? Math.max(...keywords) / Math.max(1, stems.length) : null;
  const signals = { similarity, coverage, keywordScore };

  if (retrieval !== 'lexical' && similarity !== null && similarity < floors.minSimilarity) {
    return { relevant: false, signals, reason: `best similarity ${similarity.toFixed(3)} is below ${floors.minSimilarity}` };
  }
  const minCoverage = retrieval === 'lexical' ? floors.minCoverageLexical : floors.minCoverage;
  const strongKeywords = keywordScore !== null && keywordScore >= floors.strongKeywordScore;
  if (coverage < minCoverage && !strongKeywords) {
    return { relevant: false, signals, reason: `only ${Math.round(coverage * 100)}% of the question's words appear in the passages` };
  }
  return { relevant: true, signals };
}
