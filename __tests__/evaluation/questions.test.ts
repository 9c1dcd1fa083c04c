import { describe, expect, it } from '@jest/globals';
import { evidenceKeyOf } from '../../evaluation/evidence-key.js';
import { containsEvidence, headingMatches, holdsEvidence, isAnswerable, isNearMiss, isOffTopic, isRelevant, parseQuestions, QuestionsFileError, type AnswerableQuestion } from '../../evaluation/questions.js';

const SHA = 'ab'.repeat(32);

describe('parseQuestions', () => {
  it('reads answerable (with and without evidence, empty heading included) and off-topic questions', () => {
    const questions = parseQuestions(
      [
        { id: 'a', question: 'Q?', source: 'x.md', heading: 'H', evidence: 'some words here' },
        { id: 'b', question: 'Q?', source: 'x.md', heading: '' },
        { id: 'c', question: 'Weather?', offTopic: true, source: 'ignored.md' },
      ],
      'q.json',
    );
    expect(questions).toEqual([
      { id: 'a', question: 'Q?', source: 'x.md', heading: 'H', evidence: 'some words here' },
      { id: 'b', question: 'Q?', source: 'x.md', heading: '' },
      { id: 'c', question: 'Weather?', offTopic: true },
    ]);
  });

  it('reads near-miss items, evidence keys and styles, and tells the three kinds apart', () => {
    const questions = parseQuestions(
      [
        { id: 'a', question: 'Q?', source: 'x.md', heading: 'H', evidenceKey: { words: 7, sha256: SHA.toUpperCase() }, style: 'typo' },
        { id: 'n', question: 'Dental plan?', nearMiss: true, source: 'benefits.md', heading: 'ignored' },
        { id: 'b', question: 'Q?', source: 'x.md', heading: '', nearMiss: false, style: 'plain' },
        { id: 'o', question: 'Weather?', offTopic: true },
      ],
      'q.json',
    );
    expect(questions).toEqual([
      { id: 'a', question: 'Q?', source: 'x.md', heading: 'H', evidenceKey: { words: 7, sha256: SHA }, style: 'typo' },
      { id: 'n', question: 'Dental plan?', nearMiss: true, source: 'benefits.md' },
      { id: 'b', question: 'Q?', source: 'x.md', heading: '', style: 'plain' },
      { id: 'o', question: 'Weather?', offTopic: true },
    ]);
    expect(questions.map((q) => [isAnswerable(q), isNearMiss(q), isOffTopic(q)])).toEqual([
      [true, false, false],
      [false, true, false],
      [true, false, false],
      [false, false, true],
    ]);
  });

  it.each([
    [[{ id: 'n', question: 'Q?', nearMiss: true }], /item 0 \(n\) needs a non-empty string "source" \(the document on the topic\)/],
    [[{ id: 'n', question: 'Q?', nearMiss: true, offTopic: true, source: 'x.md' }], /item 0 \(n\) has both "nearMiss" and "offTopic"/],
    [[{ id: 'n', question: 'Q?', nearMiss: 'yes', source: 'x.md', heading: 'H' }], /item 0 \(n\) has "nearMiss" that is neither true nor false/],
    [[{ id: 'k', question: 'Q?', source: 'x.md', heading: 'H', evidenceKey: 'abc' }], /item 0 \(k\) has "evidenceKey" that is not an object/],
    [[{ id: 'k', question: 'Q?', source: 'x.md', heading: 'H', evidenceKey: { words: 0, sha256: SHA } }], /"evidenceKey.words" that is not an integer from 1 to 40/],
    [[{ id: 'k', question: 'Q?', source: 'x.md', heading: 'H', evidenceKey: { words: 41, sha256: SHA } }], /"evidenceKey.words"/],
    [[{ id: 'k', question: 'Q?', source: 'x.md', heading: 'H', evidenceKey: { words: 2.5, sha256: SHA } }], /"evidenceKey.words"/],
    [[{ id: 'k', question: 'Q?', source: 'x.md', heading: 'H', evidenceKey: { words: 5, sha256: SHA.slice(1) } }], /item 0 \(k\) has "evidenceKey.sha256" that is not 64 hex digits/],
    [[{ id: 'k', question: 'Q?', source: 'x.md', heading: 'H', evidenceKey: { words: 5, sha256: `${SHA.slice(1)}g` } }], /"evidenceKey.sha256"/],
    [[{ id: 's', question: 'Q?', source: 'x.md', heading: 'H', style: 'formal' }], /item 0 \(s\) has "style" that is not one of short, long, typo, plain/],
  ])('rejects the new fields when malformed: %j', (json, message) => {
    expect(() => parseQuestions(json, 'q.json')).toThrow(QuestionsFileError);
    expect(() => parseQuestions(json, 'q.json')).toThrow(message);
  });

  it.each([
    [{ not: 'an array' }, /must be a JSON array/],
    [[], /holds no questions/],
    [[{ question: 'Q?', source: 'x.md', heading: 'H' }], /item 0 needs a non-empty string "id"/],
    [[{ id: 'a', question: 'Q?', heading: 'H' }], /item 0 \(a\) needs a non-empty string "source"/],
    [[{ id: 'a', question: 'Q?', source: 'x.md' }], /needs a string "heading"/],
    [[{ id: 'a', question: 'Q?', source: 'x.md', heading: 'H', evidence: '' }], /"evidence"/],
    [[{ id: 'a', question: 'Q?', offTopic: 'yes' }], /"offTopic"/],
    [[{ id: 'a', question: 'Q?', offTopic: true }, { id: 'a', question: 'R?', offTopic: true }], /id "a" is used twice/],
  ])('rejects %j', (json, message) => {
    expect(() => parseQuestions(json, 'q.json')).toThrow(QuestionsFileError);
    expect(() => parseQuestions(json, 'q.json')).toThrow(message);
  });
});

describe('containsEvidence', () => {
  const evidence = 'one two three four five six seven eight nine ten';

  it('matches the whole evidence across Markdown marks, case and line breaks', () => {
    expect(containsEvidence('It gives at least **30 days\u2019** notice\nbefore a change.', "gives at least 30 days' notice before")).toBe(true);
  });

  it('accepts the first or the last 60% of the words in order (a chunk boundary), not less', () => {
    expect(containsEvidence('zero one two three four five six', evidence)).toBe(true);
    expect(containsEvidence('five six seven eight nine ten eleven', evidence)).toBe(true);
    expect(containsEvidence('zero one two three four five', evidence)).toBe(false);
    expect(containsEvidence('three four five six seven eight', evidence)).toBe(false);
    expect(containsEvidence('one two three four six five', evidence)).toBe(false);
  });

  it('matches whole words only, and needs all of a short evidence', () => {
    expect(containsEvidence('wait 130 days first', '30 days')).toBe(false);
    expect(containsEvidence('within 3 business', 'within 3 business days')).toBe(true);
    expect(containsEvidence('within 3 weeks', 'within 3 business days')).toBe(false);
    expect(containsEvidence('payroll errors', 'payroll errors fixed')).toBe(false);
  });
});

describe('headingMatches', () => {
  it('finds the heading anywhere in the trail, compared as words', () => {
    expect(headingMatches(['Leave', 'How much PTO you get'], 'How much PTO you get')).toBe(true);
    expect(headingMatches(['Leave', 'How much PTO you get'], 'Leave')).toBe(true);
    expect(headingMatches(['The `deploy` step'], 'The deploy step')).toBe(true);
    expect(headingMatches(['How much PTO you get'], 'How much')).toBe(false);
  });

  it('reads an empty heading as the text before the first heading', () => {
    expect(headingMatches([], '')).toBe(true);
    expect(headingMatches(['Intro'], '')).toBe(false);
    expect(headingMatches([], 'Intro')).toBe(false);
  });
});

describe('isRelevant', () => {
  const question: AnswerableQuestion = { id: 'q', question: 'Q?', source: 'leave.md', heading: 'Jury duty', evidence: 'forward a copy to people ops within 3 business days' };
  const chunk = (source: string, headings: string[], text: string) => ({ source, headings, text });

  it('accepts the labelled heading, or the evidence under another heading', () => {
    expect(isRelevant(chunk('leave.md', ['Civic leave', 'Jury duty'], 'Anything.'), question)).toBe(true);
    expect(isRelevant(chunk('leave.md', ['Voting'], 'Please forward a copy to People Ops within 3 business days.'), question)).toBe(true);
    expect(isRelevant(chunk('leave.md', ['Voting'], 'Vote by mail.'), question)).toBe(false);
  });

  it('never accepts another source, whatever it says', () => {
    expect(isRelevant(chunk('other.md', ['Jury duty'], 'forward a copy to people ops within 3 business days'), question)).toBe(false);
  });
});

describe('holdsEvidence and the hit rule with an evidence key', () => {
  const key = evidenceKeyOf('within 3 business days');
  const keyed: AnswerableQuestion = { id: 'k', question: 'Q?', source: 'leave.md', heading: 'Jury duty', evidenceKey: key };
  const chunk = (headings: string[], text: string) => ({ source: 'leave.md', headings, text });

  it('accepts a chunk under another heading that holds the keyed words, and no other', () => {
    expect(isRelevant(chunk(['Voting'], 'Send it to People Ops WITHIN 3\nbusiness-days, please.'), keyed)).toBe(true);
    expect(isRelevant(chunk(['Voting'], 'Send it within 3 weeks.'), keyed)).toBe(false);
    expect(isRelevant({ ...chunk(['Voting'], 'within 3 business days'), source: 'other.md' }, keyed)).toBe(false);
  });

  it('uses the quotation when a label has both, and says null when it has neither', () => {
    const both: AnswerableQuestion = { ...keyed, evidence: 'forward a copy to people ops' };
    expect(holdsEvidence('within 3 business days', both)).toBe(false);
    expect(holdsEvidence('forward a copy to People Ops', both)).toBe(true);
    expect(holdsEvidence('within 3 business days', keyed)).toBe(true);
    expect(holdsEvidence('anything', { id: 'p', question: 'Q?', source: 'leave.md', heading: 'H' })).toBeNull();
  });
});
