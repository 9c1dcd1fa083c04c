import { describe, expect, it } from '@jest/globals';
import { DEFAULT_FLOORS } from '../../answer/defaults.js';
import { judgeRelevance, latinShare, resolveFloors, type RelevanceFloors } from '../../answer/relevance.js';
import type { QuerySignals, RetrievalMode, SearchHit } from '../../workers/protocol.js';

const FLOORS: RelevanceFloors = { minCoverage: 0.33, minKeywordMatch: 0.2, minSimilarity: 0.4, minCorpusSimilarity: 0.17, maxUnknownShare: 0.3 };

function hit(text: string, scores: SearchHit['scores'], extra: Partial<SearchHit> = {}): SearchHit {
  return { id: 'c1', source: 'doc.md', title: 'Handbook', headings: [], start: 0, end: text.length, text, score: 0.5, scores, ...extra };
}

function query(keywordMatch: number | null, corpusSimilarity: number | null, unknownTerms: string[] = []): QuerySignals {
  return { keywordMatch, corpusSimilarity, unknownTerms };
}

const vector = (score: number) => ({ vector: { rank: 1, score } });
const lexical = (score: number) => ({ lexical: { rank: 1, score } });

/** Four content words: request, parental, leave, reimbursement. */
const QUESTION = 'How do I request parental leave reimbursement?';
const ON_TOPIC = 'To request parental leave reimbursement, file the claim in the HR portal.';
/** Three of the four words: coverage 0.75. */
const MOSTLY = 'Parental leave requests go to your manager.';
/** Two of the four: coverage 0.5. */
const HALF = 'Parental leave lasts sixteen weeks.';
const OFF_TOPIC = 'The kitchen on the third floor is stocked with fruit and coffee.';
const STRONG = query(0.6, 0.4);

describe('judgeRelevance, every mode', () => {
  it('finds on-topic passages relevant and reports its signals', () => {
    const verdict = judgeRelevance(QUESTION, [hit(ON_TOPIC, { ...vector(0.7), ...lexical(12) })], 'hybrid', FLOORS, STRONG);
    expect(verdict).toEqual({ relevant: true, signals: { similarity: 0.7, coverage: 1, keywordMatch: 0.6, corpusSimilarity: 0.4, unknownWords: [] } });
  });

  it.each(['hybrid', 'lexical'] as const)('abstains in %s retrieval when fewer than a third of the words appear, whatever the scores', (retrieval) => {
    const verdict = judgeRelevance(QUESTION, [hit('Parental duties vary by team.', { ...vector(0.9), ...lexical(50) })], retrieval, FLOORS, STRONG);
    expect(verdict).toMatchObject({ relevant: false, signals: { coverage: 0.25 } });
    expect(verdict.reason).toBe("only 25% of the question's words appear in the passages");
  });

  it('counts titles and headings, but only of the top three passages', () => {
    const scores = vector(0.8);
    const filler = [hit(OFF_TOPIC, scores), hit(OFF_TOPIC, scores), hit(OFF_TOPIC, scores)];
    const covering = hit('Nothing here.', scores, { title: 'Parental leave', headings: ['Request reimbursement'] });
    expect(judgeRelevance(QUESTION, [covering, ...filler], 'hybrid', FLOORS, STRONG)).toMatchObject({ relevant: true, signals: { coverage: 1 } });
    expect(judgeRelevance(QUESTION, [...filler, covering], 'hybrid', FLOORS, STRONG)).toMatchObject({ relevant: false, signals: { coverage: 0 } });
  });

  it('judges by coverage alone when the search sent no query signals (a stand-in search)', () => {
    expect(judgeRelevance(QUESTION, [hit(HALF, vector(0.1))], 'hybrid', FLOORS)).toMatchObject({ relevant: true, signals: { keywordMatch: null, corpusSimilarity: null } });
    expect(judgeRelevance(QUESTION, [hit(OFF_TOPIC, vector(0.9))], 'hybrid', FLOORS).relevant).toBe(false);
  });
});

describe('judgeRelevance, hybrid retrieval', () => {
  it('abstains when the best passage is weak both in meaning and in words', () => {
    const verdict = judgeRelevance(QUESTION, [hit(HALF, { ...vector(0.35), ...lexical(3) })], 'hybrid', FLOORS, query(0.15, 0.3));
    expect(verdict.relevant).toBe(false);
    expect(verdict.reason).toBe('no passage is close in meaning (best similarity 0.35, floor 0.4) and the best keyword match covers 15% of the question (floor 20%)');
  });

  it('answers when only one side is weak', () => {
    expect(judgeRelevance(QUESTION, [hit(HALF, vector(0.35))], 'hybrid', FLOORS, query(0.25, 0.3)).relevant).toBe(true);
    expect(judgeRelevance(QUESTION, [hit(HALF, vector(0.45))], 'hybrid', FLOORS, query(0.15, 0.3)).relevant).toBe(true);
  });

  it('takes the best similarity among the passages, and no vector hit at all as weak meaning', () => {
    const hits = [hit(HALF, vector(0.2)), hit(HALF, { vector: { rank: 2, score: 0.45 } })];
    expect(judgeRelevance(QUESTION, hits, 'hybrid', FLOORS, query(0.15, 0.3))).toMatchObject({ relevant: true, signals: { similarity: 0.45 } });
    const verdict = judgeRelevance(QUESTION, [hit(HALF, lexical(3))], 'hybrid', FLOORS, query(0.15, 0.3));
    expect(verdict).toMatchObject({ relevant: false, signals: { similarity: null } });
    expect(verdict.reason).toMatch(/^no passage came from the meaning search/);
  });

  it('abstains on a question unlike the documents unless the passages hold three quarters of its words', () => {
    const unlike = query(0.5, 0.12);
    const verdict = judgeRelevance(QUESTION, [hit(HALF, vector(0.6))], 'hybrid', FLOORS, unlike);
    expect(verdict.relevant).toBe(false);
    expect(verdict.reason).toBe('the question is unlike the documents (similarity to their average 0.12, floor 0.17) and only 50% of its words appear in the passages');
    expect(judgeRelevance(QUESTION, [hit(MOSTLY, vector(0.6))], 'hybrid', FLOORS, unlike)).toMatchObject({ relevant: true, signals: { coverage: 0.75 } });
  });

  it('ignores the share of unknown words', () => {
    const verdict = judgeRelevance(QUESTION, [hit(HALF, vector(0.6))], 'hybrid', FLOORS, query(0.1, 0.3, ['request', 'reimbursement']));
    expect(verdict).toMatchObject({ relevant: true, signals: { unknownWords: ['request', 'reimbursement'] } });
  });
});

describe('judgeRelevance, lexical retrieval', () => {
  const unknownHalf = query(0.15, null, ['request', 'reimbursement']);

  it('abstains when many words are unknown to the documents and the keyword match is weak, naming the words', () => {
    const verdict = judgeRelevance(QUESTION, [hit(HALF, lexical(3))], 'lexical', FLOORS, unknownHalf);
    expect(verdict.relevant).toBe(false);
    expect(verdict.reason).toBe("2 of the question's 4 words (request, reimbursement) appear nowhere in the documents, and the best keyword match covers 15% of the question (floor 20%)");
  });

  it('answers when the keyword match is strong despite unknown words, or when few words are unknown', () => {
    expect(judgeRelevance(QUESTION, [hit(HALF, lexical(3))], 'lexical', FLOORS, query(0.25, null, ['request', 'reimbursement'])).relevant).toBe(true);
    expect(judgeRelevance(QUESTION, [hit(HALF, lexical(3))], 'lexical', FLOORS, query(0.1, null, ['reimbursement'])).relevant).toBe(true);
  });

  it('ignores similarity and corpus similarity', () => {
    expect(judgeRelevance(QUESTION, [hit(HALF, { ...vector(0.05), ...lexical(3) })], 'lexical', FLOORS, query(0.1, -0.5)).relevant).toBe(true);
  });
});

/**
 * Signals measured by npm run eval on eval/*.json with local/static-use-wordpiece-512 (passages abridged):
 * off-topic questions the rule must keep catching and answerable ones it must keep answering.
 */
describe('judgeRelevance with the default floors, on measured cases', () => {
  const cases: { question: string; passage: string; similarity: number | null; signals: QuerySignals; retrieval: RetrievalMode; relevant: boolean }[] = [
    // o017: words the handbook uses (install, Windows), close in meaning, but unlike the handbook as a whole.
    { question: 'How do I install Python on Windows?', passage: 'Installing software on Windows laptops needs IT approval.', similarity: 0.584, signals: query(0.233, 0.127, ['python']), retrieval: 'hybrid', relevant: false },
    { question: 'How do I install Python on Windows?', passage: 'Installing software on Windows laptops needs IT approval.', similarity: null, signals: query(0.233, null, ['python']), retrieval: 'lexical', relevant: true },
    // o008: weak on both sides; by keywords alone, a third of its words are unknown.
    { question: 'How do I change a flat tire?', passage: 'Changing your flat-rate plan is done in the portal.', similarity: 0.132, signals: query(0.162, 0.109, ['tir']), retrieval: 'hybrid', relevant: false },
    { question: 'How do I change a flat tire?', passage: 'Changing your flat-rate plan is done in the portal.', similarity: null, signals: query(0.162, null, ['tir']), retrieval: 'lexical', relevant: false },
    // s017 (answerable): an acronym the handbook spells out, similarity at the floor.
    { question: 'STD payout percentage US', passage: 'The short-term disability payout is a percentage of salary in the US.', similarity: 0.404, signals: query(0.218, 0.349, ['std']), retrieval: 'hybrid', relevant: true },
    { question: 'STD payout percentage US', passage: 'The short-term disability payout is a percentage of salary in the US.', similarity: null, signals: query(0.218, null, ['std']), retrieval: 'lexical', relevant: true },
  ];
  it.each(cases)('$question by $retrieval search: relevant $relevant', ({ question, passage, similarity, signals, retrieval, relevant }) => {
    const scores = similarity === null ? lexical(5) : { ...vector(similarity), ...lexical(5) };
    expect(judgeRelevance(question, [hit(passage, scores)], retrieval, DEFAULT_FLOORS, signals).relevant).toBe(relevant);
  });
});

describe('judgeRelevance without hits', () => {
  it.each(['hybrid', 'vector', 'lexical'] as const)('is not relevant when %s retrieval found nothing', (retrieval) => {
    expect(judgeRelevance(QUESTION, [], retrieval, FLOORS, query(0, null, ['reimbursement']))).toEqual({
      relevant: false,
      signals: { similarity: null, coverage: 0, keywordMatch: 0, corpusSimilarity: null, unknownWords: ['reimbursement'] },
      reason: 'nothing matched',
    });
  });
});

describe('questions with no word the documents could hold', () => {
  const passages = [hit(ON_TOPIC, { ...vector(0.9), ...lexical(12) })];
  it.each([
    ['another script', 'Сколько дней отпуска мне положено?'],
    ['emoji only', '🏖️🌴😎❓'],
    ['punctuation only', '???!!! ... ---'],
    ['zero-width characters', '\u200b\u200c\u200d\ufeff'],
    ['stopwords only', 'what is it and how?'],
  ])('abstain (%s) even when every score looks strong', (_kind, question) => {
    const verdict = judgeRelevance(question, passages, 'hybrid', FLOORS, STRONG);
    expect(verdict.relevant).toBe(false);
    expect(verdict.reason).toContain('no word to search for');
  });

  it('abstains when every word is unknown to the documents, in any mode', () => {
    for (const retrieval of ['hybrid', 'lexical'] as const) {
      const verdict = judgeRelevance('zorblax quintessa?', passages, retrieval, FLOORS, query(0, 0.5, ['zorblax', 'quintessa']));
      expect(verdict).toMatchObject({ relevant: false, signals: { unknownWords: ['zorblax', 'quintessa'] } });
      expect(verdict.reason).toBe("none of the question's words (zorblax, quintessa) appear in the documents");
    }
  });

  it('reads two-letter acronyms and leaves one-character tokens to the other rules, as keyword search does', () => {
    const hr = [hit('Ask HR about your payslip.', { ...vector(0.6), ...lexical(5) })];
    expect(judgeRelevance('HR?', hr, 'hybrid', FLOORS, query(0.9, 0.3)).relevant).toBe(true);
    expect(judgeRelevance('Who is HR?', hr, 'lexical', FLOORS, query(0.9, null)).relevant).toBe(true);
    const w2 = judgeRelevance('W-2?', hr, 'hybrid', FLOORS, query(null, 0.3));
    expect(w2.reason ?? '').not.toContain('no word to search for');
  });

  it('reads a common word written in capitals as a name, and leaves it to meaning search', () => {
    const it_ = [hit('The IT team sets up your laptop on your first day.', { ...vector(0.7) })];
    const verdict = judgeRelevance('What is IT?', it_, 'hybrid', FLOORS, query(null, 0.3));
    expect(verdict.reason ?? '').not.toContain('no word to search for');
    expect(verdict.relevant).toBe(true);
    // The same words in lower case, or a capitalised sentence start, are still only common words.
    expect(judgeRelevance('what is it?', it_, 'hybrid', FLOORS, query(null, 0.3)).reason).toContain('no word to search for');
    expect(judgeRelevance('It is?', it_, 'hybrid', FLOORS, query(null, 0.3)).reason).toContain('no word to search for');
  });

  it('abstains on a question mostly in another script even when a number in it matches, in any mode', () => {
    // The year is the one token keyword search reads, and a page mentions it: every score looks strong.
    for (const retrieval of ['hybrid', 'lexical'] as const) {
      const verdict = judgeRelevance('Кто выиграл чемпионат мира по футболу в 2018 году?', passages, retrieval, FLOORS, STRONG);
      expect(verdict.relevant).toBe(false);
      expect(verdict.reason).toContain('mostly in a script the index cannot read (0% of its letters are Latin');
    }
    expect(judgeRelevance('Где форма W-2 за 2024 год?', passages, 'hybrid', FLOORS, STRONG).reason).toContain('7% of its letters are Latin');
  });

  it('counts accented Latin letters as Latin, and leaves a question of digits alone to the other rules', () => {
    expect(latinShare('Où est la crème brûlée?')).toBe(1);
    expect(latinShare('Сколько parental leave?')).toBeCloseTo(13 / 20);
    expect(latinShare('1099?')).toBe(1);
    expect(judgeRelevance('Où est la politique de congé parental?', passages, 'hybrid', FLOORS, STRONG).reason ?? '').not.toContain('script');
    expect(judgeRelevance('1099?', passages, 'hybrid', FLOORS, STRONG).reason ?? '').not.toContain('script');
  });

  it('still reads a mixed question by the words it knows', () => {
    expect(judgeRelevance('Сколько parental leave reimbursement request?', passages, 'hybrid', FLOORS, STRONG).relevant).toBe(true);
  });
});

describe('resolveFloors', () => {
  const calibration = { minSimilarity: 0.27, minCorpusSimilarity: 0.05, minCoverage: 0.1, minKeywordMatch: 0.15 };
  it('takes the index calibration over the defaults, and explicit settings over both', () => {
    expect(resolveFloors(FLOORS, undefined)).toEqual(FLOORS);
    expect(resolveFloors(FLOORS, calibration)).toEqual({ ...FLOORS, ...calibration });
    expect(resolveFloors(FLOORS, calibration, { minSimilarity: 0.5 })).toEqual({ ...FLOORS, ...calibration, minSimilarity: 0.5 });
    expect(resolveFloors(FLOORS, { ...calibration, unrelated: {} } as typeof calibration)).not.toHaveProperty('unrelated');
  });

  it('changes the verdict a paraphrase gets on a small index', () => {
    // Weak keywords, a best cosine of 0.33: under the fixed floor of 0.4, over this index's own.
    const paraphrase = [hit(ON_TOPIC, { ...vector(0.33) })];
    const weak = query(0.1, 0.3);
    expect(judgeRelevance(QUESTION, paraphrase, 'hybrid', FLOORS, weak).relevant).toBe(false);
    expect(judgeRelevance(QUESTION, paraphrase, 'hybrid', resolveFloors(FLOORS, calibration), weak).relevant).toBe(true);
  });
});
