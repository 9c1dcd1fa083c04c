import { describe, expect, it } from '@jest/globals';
import type { AnswerableQuestion } from '../../evaluation/questions.js';
import { corpusVocabulary, questionOverlap, summarizeOverlap, type OverlapChunk } from '../../evaluation/word-overlap.js';

const chunk = (source: string, headings: string[], text: string, title = 'Leave'): OverlapChunk => ({ source, headings, text, title });

const CHUNKS: OverlapChunk[] = [
  chunk('leave.md', ['Jury duty'], 'You keep your regular pay while serving on a jury.'),
  chunk('leave.md', ['Jury duty'], 'Bring the summons to your manager.'),
  chunk('leave.md', ['Voting'], 'Take two paid hours to vote.'),
  chunk('pay.md', ['Payroll'], 'Salaries are paid monthly; jury pay is kept.', 'Pay'),
];
const vocabulary = corpusVocabulary(CHUNKS);
const question = (text: string, heading = 'Jury duty'): AnswerableQuestion => ({ id: 'q', question: text, source: 'leave.md', heading });

describe('questionOverlap', () => {
  it('takes the best share of the question\'s content stems over the chunks the hit rule accepts', () => {
    // Stems salary, kept, jury, duty ("during" is a stopword): the best chunk offers jury and duty (its heading); "keep" is not "kept".
    const { wordOverlap, unknownWords } = questionOverlap(question('Is my salary kept during jury duty?'), CHUNKS, vocabulary);
    expect(wordOverlap).toBe(2 / 4);
    expect(unknownWords).toEqual([]);
  });

  it('reads the words as the service does: stopwords dropped, plurals and -ing folded, title and headings offered', () => {
    expect(questionOverlap(question('What about serving on juries?'), CHUNKS, vocabulary).wordOverlap).toBe(1);
    expect(questionOverlap(question('Jury duty leave?'), CHUNKS, vocabulary).wordOverlap).toBe(1);
  });

  it('scores the best single chunk, not the words of all relevant chunks pooled', () => {
    // "serving" is in the first chunk, "manager" in the second, both under the labelled heading.
    expect(questionOverlap(question('serving manager'), CHUNKS, vocabulary).wordOverlap).toBe(0.5);
  });

  it('never looks at chunks of other sources or headings, and is null when the label matches none', () => {
    expect(questionOverlap(question('Are salaries paid monthly?'), CHUNKS, vocabulary).wordOverlap).toBe(0);
    expect(questionOverlap(question('Are salaries paid monthly?', 'Bonuses'), CHUNKS, vocabulary).wordOverlap).toBeNull();
  });

  it('lists the stems no chunk of the index has', () => {
    expect(questionOverlap(question('Is jury duty covered by the sabbatical policy?'), CHUNKS, vocabulary).unknownWords).toEqual(['cover', 'sabbatical', 'policy']);
  });
});

describe('summarizeOverlap', () => {
  it('gives median and mean over the measured questions and vocabulary coverage over all', () => {
    const summary = summarizeOverlap([
      { wordOverlap: 0.2, unknownWords: [] },
      { wordOverlap: 1, unknownWords: ['sabbatical'] },
      { wordOverlap: 0.5, unknownWords: [] },
      { wordOverlap: null, unknownWords: [] },
    ]);
    expect(summary).toEqual({ measured: 3, median: 0.5, mean: 0.5667, vocabularyCoverage: 0.75 });
  });

  it('says null, not zero, when nothing could be measured', () => {
    expect(summarizeOverlap([])).toEqual({ measured: 0, median: null, mean: null, vocabularyCoverage: null });
    expect(summarizeOverlap([{ wordOverlap: null, unknownWords: ['x'] }])).toEqual({ measured: 0, median: null, mean: null, vocabularyCoverage: 0 });
  });
});
