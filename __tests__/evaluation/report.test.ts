import { describe, expect, it } from '@jest/globals';
import { DEFAULT_FLOORS } from '../../answer/defaults.js';
import type { EvalReport, QuestionModeResult, QuestionResult } from '../../evaluation/evaluate.js';
import { summarize } from '../../evaluation/mode-summary.js';
import type { QuestionStyle } from '../../evaluation/questions.js';
import { formatHeader, formatTable, worstQuestions } from '../../evaluation/report.js';

function run(firstRelevantRank: number | null, abstained: boolean): QuestionModeResult {
  return { relevantRanks: firstRelevantRank ? [firstRelevantRank] : [], firstRelevantRank, ndcg: firstRelevantRank ? 1 : 0, abstained, latencyMs: 1, topHit: null };
}

const answerable = (id: string, rank: number | null, abstained: boolean, style?: QuestionStyle): QuestionResult => ({
  id, question: `${id}?`, offTopic: false, source: 'a.md', heading: 'H', ...(style ? { style } : {}), relevantInIndex: 1, modes: { hybrid: run(rank, abstained) },
});
const offTopic = (id: string, abstained: boolean): QuestionResult => ({ id, question: `${id}?`, offTopic: true, relevantInIndex: null, modes: { hybrid: run(null, abstained) } });
const nearMiss = (id: string, abstained: boolean): QuestionResult => ({ id, question: `${id}?`, offTopic: false, nearMiss: true, source: 'a.md', relevantInIndex: null, modes: { hybrid: run(null, abstained) } });

function report(questions: QuestionResult[]): EvalReport {
  return {
    index: { dir: '/idx', generation: 'gen-1', model: 'M', chunks: 9 },
    settings: { topK: 5, cutoff: 10, floors: { hybrid: DEFAULT_FLOORS }, modes: ['hybrid'] },
    counts: { answerable: 0, offTopic: 0, nearMiss: 0, withEvidence: 0 },
    wordOverlap: { measured: 3, median: 0.5, mean: 0.4, vocabularyCoverage: 0.75 },
    skippedModes: [],
    unmatchedLabels: [],
    modes: [summarize('hybrid', questions)],
    questions,
  };
}

const PLAIN = [answerable('a1', 1, false), answerable('a2', null, true), offTopic('o1', true), offTopic('o2', false)];
const WITH_NEW = [
  answerable('a1', 1, false, 'short'), answerable('a2', null, true, 'typo'), answerable('a3', 7, false, 'short'),
  offTopic('o1', true), offTopic('o2', false),
  nearMiss('n1', true), nearMiss('n2', true), nearMiss('n3', false),
];

describe('near-miss questions in the summary', () => {
  it('count in no answerable or off-topic figure, only in their own', () => {
    const plain = summarize('hybrid', PLAIN);
    const withNew = summarize('hybrid', WITH_NEW);
    expect(withNew.abstention).toEqual({ ...plain.abstention, answerable: 3, falseAbstentionRate: 0.3333, precision: 0.5 });
    expect(withNew.nearMiss).toEqual({ questions: 3, abstained: 2, share: 0.6667 });
    expect(withNew.recallAt5).toBe(0.3333);
    expect(worstQuestions(report(WITH_NEW), 10).map((q) => q.id)).toEqual(['a2', 'a3', 'a1']);
  });

  it('leave a set without near-misses or styles as it was: no new keys, no new rows', () => {
    const plain = summarize('hybrid', PLAIN);
    expect(plain).not.toHaveProperty('nearMiss');
    expect(plain).not.toHaveProperty('byStyle');
    const table = formatTable(report(PLAIN));
    expect(table).not.toMatch(/Near-miss|style/);
    expect(table.split('\n')).toHaveLength(15);
  });
});

describe('the table and header for the new sets', () => {
  it('prints a near-miss abstention row and Recall@5 per style in first-seen order', () => {
    const lines = formatTable(report(WITH_NEW)).split('\n');
    expect(lines).toContain('| Near-miss abstained | 0.667 (2/3) |');
    const recall5 = lines.indexOf('| Recall@5 | 0.333 |');
    expect(lines.slice(recall5 + 1, recall5 + 3)).toEqual(['| Recall@5, style short (2) | 0.500 |', '| Recall@5, style typo (1) | 0.000 |']);
    expect(lines.indexOf('| Near-miss abstained | 0.667 (2/3) |')).toBe(lines.findIndex((l) => l.startsWith('| Abstention precision')) + 1);
  });

  it('puts the word overlap and vocabulary coverage under the header, and near-misses when there are some', () => {
    const r = report(WITH_NEW);
    r.counts = { answerable: 3, offTopic: 2, nearMiss: 3, withEvidence: 1 };
    const [first, second] = formatHeader(r).split('\n');
    expect(first).toContain('3 answerable questions (1 with evidence), 2 off-topic, 3 near-miss;');
    expect(second).toBe('Word overlap with the relevant chunk: median 0.500, mean 0.400 (3 questions); questions using only words the corpus has: 0.750.');
    r.counts.nearMiss = 0;
    expect(formatHeader(r)).toContain('2 off-topic; abstention');
  });
});
