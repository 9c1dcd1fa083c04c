import { describe, expect, it } from '@jest/globals';
import { judgeRelevance, type RelevanceFloors } from '../../server/relevance.js';
import type { SearchHit } from '../../workers/protocol.js';

const FLOORS: RelevanceFloors = { minSimilarity: 0.26, minCoverage: 0.45, minCoverageLexical: 0.35, strongKeywordScore: 20 };

function hit(text: string, scores: SearchHit['scores'], extra: Partial<SearchHit> = {}): SearchHit {
  return { id: 'c1', source: 'doc.md', title: 'Handbook', headings: [], start: 0, end: text.length, text, score: 0.5, scores, ...extra };
}

/** Four content words: request, parental, leave, reimbursement. */
const QUESTION = 'How do I request parental leave reimbursement?';
const ON_TOPIC = 'To request parental leave reimbursement, file the claim in the HR portal.';
const OFF_TOPIC = 'The kitchen on the third floor is stocked with fruit and coffee.';

describe('judgeRelevance, hybrid retrieval', () => {
  it('finds on-topic passages relevant and reports its signals', () => {
    const verdict = judgeRelevance(QUESTION, [hit(ON_TOPIC, { vector: { rank: 1, score: 0.7 }, lexical: { rank: 1, score: 12 } })], 'hybrid', FLOORS);
    expect(verdict).toEqual({ relevant: true, signals: { similarity: 0.7, coverage: 1, keywordScore: 3 } });
  });

  it('abstains when the best similarity is below the floor, whatever the words', () => {
    const hits = [hit(ON_TOPIC, { vector: { rank: 1, score: 0.1 }, lexical: { rank: 1, score: 200 } }), hit(ON_TOPIC, { vector: { rank: 2, score: 0.2 } })];
    const verdict = judgeRelevance(QUESTION, hits, 'hybrid', FLOORS);
    expect(verdict.relevant).toBe(false);
    expect(verdict.signals.similarity).toBe(0.2);
    expect(verdict.reason).toMatch(/similarity/);
    expect(verdict.reason).toContain('0.26');
  });

  it('abstains on high similarity when coverage is low and the keyword score weak', () => {
    const verdict = judgeRelevance(QUESTION, [hit(OFF_TOPIC, { vector: { rank: 1, score: 0.8 }, lexical: { rank: 1, score: 8 } })], 'hybrid', FLOORS);
    expect(verdict.relevant).toBe(false);
    expect(verdict.signals).toEqual({ similarity: 0.8, coverage: 0, keywordScore: 2 });
    expect(verdict.reason).toMatch(/0% of the question's words/);
  });

  it('finds low coverage relevant when the keyword score is strong', () => {
    // 100 / 4 content words = 25 per word, above the strong-keyword floor of 20.
    const verdict = judgeRelevance(QUESTION, [hit(OFF_TOPIC, { vector: { rank: 1, score: 0.8 }, lexical: { rank: 1, score: 100 } })], 'hybrid', FLOORS);
    expect(verdict).toEqual({ relevant: true, signals: { similarity: 0.8, coverage: 0, keywordScore: 25 } });
  });

  it('counts titles and headings, but only of the top three passages', () => {
    const scores = { vector: { rank: 1, score: 0.8 } };
    const filler = [hit(OFF_TOPIC, scores), hit(OFF_TOPIC, scores), hit(OFF_TOPIC, scores)];
    const covering = hit('Nothing here.', scores, { title: 'Parental leave', headings: ['Request reimbursement'] });
    expect(judgeRelevance(QUESTION, [covering, ...filler], 'hybrid', FLOORS)).toMatchObject({ relevant: true, signals: { coverage: 1 } });
    expect(judgeRelevance(QUESTION, [...filler, covering], 'hybrid', FLOORS)).toMatchObject({ relevant: false, signals: { coverage: 0 } });
  });
});

describe('judgeRelevance, lexical retrieval', () => {
  /** Five content words, two of them (parental, leave) in the passage: coverage 0.4. */
  const question = 'parental leave reimbursement deadline extension';
  const passage = 'Parental leave lasts twelve weeks.';

  it('uses the lexical coverage floor, which is lower', () => {
    const lexical = judgeRelevance(question, [hit(passage, { lexical: { rank: 1, score: 10 } })], 'lexical', FLOORS);
    expect(lexical).toEqual({ relevant: true, signals: { similarity: null, coverage: 0.4, keywordScore: 2 } });
    const hybrid = judgeRelevance(question, [hit(passage, { vector: { rank: 1, score: 0.9 }, lexical: { rank: 1, score: 10 } })], 'hybrid', FLOORS);
    expect(hybrid.relevant).toBe(false);
    expect(hybrid.reason).toMatch(/40%/);
  });

  it('ignores similarity', () => {
    const verdict = judgeRelevance(question, [hit(passage, { vector: { rank: 1, score: 0.01 }, lexical: { rank: 1, score: 10 } })], 'lexical', FLOORS);
    expect(verdict.relevant).toBe(true);
  });

  it('still abstains below the lexical coverage floor', () => {
    const verdict = judgeRelevance(question, [hit('Parental duties vary by team.', { lexical: { rank: 1, score: 10 } })], 'lexical', FLOORS);
    expect(verdict).toMatchObject({ relevant: false, signals: { coverage: 0.2 } });
    expect(verdict.reason).toMatch(/20%/);
  });
});

describe('judgeRelevance without hits', () => {
  it.each(['hybrid', 'vector', 'lexical'] as const)('is not relevant when %s retrieval found nothing', (retrieval) => {
    expect(judgeRelevance(QUESTION, [], retrieval, FLOORS)).toEqual({
      relevant: false,
      signals: { similarity: null, coverage: 0, keywordScore: null },
      reason: 'nothing matched',
    });
  });
});
