import { describe, expect, it } from '@jest/globals';
import { containsEvidence, headingMatches, isRelevant, parseQuestions, QuestionsFileError, type AnswerableQuestion } from '../../evaluation/questions.js';

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
