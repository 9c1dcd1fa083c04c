import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ABSTAIN_ANSWER, Answerer, LLM_NO_ANSWER_NOTICE, readLlmReply, type AskResponse } from '../../answer/answerer.js';
import type { SearchFn } from '../../answer/ports.js';
import { NO_ANSWER_MARKER, readNoAnswerMarker } from '../../answer/prompt.js';
import type { RelevanceFloors } from '../../answer/relevance.js';
import { createLlmClient } from '../../server/llm.js';
import { silentLogger } from '../../server/logger.js';
import type { TaskResult } from '../../server/worker-gate/worker-gate.js';
import type { SearchOutput, StatusOutput } from '../../workers/protocol.js';
import { completion, FakeLlm } from '../helpers/fake-llm.js';

const NO_FLOORS: RelevanceFloors = { minCoverage: 0, minKeywordMatch: 0, minSimilarity: -1, minCorpusSimilarity: -1, maxUnknownShare: 1 };
const JURY = 'Jury duty is treated as paid time. The company continues your full regular pay for up to 15 working days of service.';
const STATE: StatusOutput = { indexLoaded: true, modelLoaded: true, retrieval: 'hybrid', chunks: 1, model: 'm', indexDir: '/i', generation: 'g' };
const PARTLY = 'The language model found no answer in the passages to part of this question; the rest of the answer cites them.';

/** The worker's side: one relevant passage about jury duty, whatever the question. */
const search: SearchFn = async () => {
  const value: SearchOutput = {
    hits: [{ id: 'c1', source: 'jury.md', title: 'Jury duty', headings: [], start: 0, end: JURY.length, text: JURY, score: 1, scores: { vector: { rank: 1, score: 0.6 } } }],
    retrieval: 'hybrid',
    query: { unknownTerms: [], keywordMatch: 0.5, corpusSimilarity: 0.5 },
    timings: { embedMs: 1, searchMs: 1 },
  };
  return { value, memory: { rssBytes: 0, heapUsedBytes: 0, heapTotalBytes: 0, externalBytes: 0, arrayBuffersBytes: 0 }, state: STATE, queueMs: 0, runMs: 1 } satisfies TaskResult<SearchOutput>;
};

const fake = new FakeLlm();

beforeAll(async () => {
  await fake.start();
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  fake.reset();
});

/** Ask the real answerer, whose real LLM client gets `reply` from the fake chat-completions server. */
async function askWithReply(reply: string): Promise<AskResponse> {
  fake.reset([{ body: completion(reply) }]);
  const llm = createLlmClient({ baseUrl: fake.url, apiKey: null, model: 'test-model', totalTimeoutMs: 3000, attemptTimeoutMs: 2000, retries: 0, maxRetryAfterMs: 0, maxTokens: 100 });
  const answer = await new Answerer({ search, llm, floors: NO_FLOORS, log: silentLogger }).ask({ question: 'Is there a bonus for serving on a jury?', topK: 5 });
  expect(fake.received).toBe(1);
  return answer;
}

function expectAbstention(answer: AskResponse): void {
  expect(answer).toMatchObject({ answer: ABSTAIN_ANSWER, mode: 'abstain', citations: [], notices: [LLM_NO_ANSWER_NOTICE] });
  expect(answer.timings.generateMs).toBeGreaterThanOrEqual(0);
}

describe('the prompt', () => {
  it('states the marker once, in the system message, as a reply to give alone', async () => {
    await askWithReply(NO_ANSWER_MARKER);
    const messages = fake.requests[0]!.body.messages!;
    const system = messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
    expect(system.split(NO_ANSWER_MARKER)).toHaveLength(2);
    expect(system).toContain(`reply with exactly ${NO_ANSWER_MARKER} and nothing else`);
    expect(messages.filter((m) => m.role !== 'system').map((m) => m.content).join('\n')).not.toContain(NO_ANSWER_MARKER);
  });
});

describe('an LLM reply of the no-answer marker', () => {
  it('becomes an abstention with the standard answer, no citations and a notice', async () => {
    expectAbstention(await askWithReply('[NOT_IN_PASSAGES]'));
  });

  it.each([
    ['lower case', '[not_in_passages]'],
    ['mixed case with hyphens', '[Not-In-Passages]'],
    ['Markdown-escaped brackets and underscores', '\\[NOT\\_IN\\_PASSAGES\\]'],
    ['Markdown-escaped underscores', '[NOT\\_IN\\_PASSAGES]'],
    ['no separators inside the brackets', '[NOTINPASSAGES]'],
    ['spaces for underscores, a full stop after', '[NOT IN PASSAGES].'],
    ['surrounded by blank lines', '\n\n   [NOT_IN_PASSAGES]   \n'],
    ['in double quotes', '"[NOT_IN_PASSAGES]"'],
    ['in curly quotes', '\u201c[NOT_IN_PASSAGES]\u201d'],
    ['in code ticks', '`[NOT_IN_PASSAGES]`'],
    ['in a code fence', '```\n[NOT_IN_PASSAGES]\n```'],
    ['in bold', '**[NOT_IN_PASSAGES]**'],
    ['without its brackets', 'NOT_IN_PASSAGES'],
    ['followed by an uncited explanation', '[NOT_IN_PASSAGES] The passages say nothing about a bonus.'],
    ['followed by outside knowledge', '[NOT_IN_PASSAGES]\n\nMany employers pay a small bonus for jury service.'],
    ['followed by a bare citation', '[NOT_IN_PASSAGES] [1]'],
    ['followed by text citing no retrieved passage', '[NOT_IN_PASSAGES] A bonus of 100 dollars is paid [7].'],
    ['said twice', '[NOT_IN_PASSAGES]\n[NOT_IN_PASSAGES]'],
    ['after a label and a colon', 'Answer: [NOT_IN_PASSAGES]'],
    ['as a list item', '- [NOT_IN_PASSAGES]'],
    ['as a quoted line', '> NOT_IN_PASSAGES'],
  ])('abstains on the marker %s', async (_form, reply) => {
    expectAbstention(await askWithReply(reply));
  });
});

describe('an LLM reply without the marker', () => {
  it('is the answer, unchanged, with its citation', async () => {
    const answer = await askWithReply('You keep your full regular pay for up to 15 working days [1].');
    expect(answer).toMatchObject({ answer: 'You keep your full regular pay for up to 15 working days [1].', mode: 'llm', notices: [] });
    expect(answer.citations.map((c) => c.source)).toEqual(['jury.md']);
  });

  it('is not taken for the marker when its prose says the passages lack something', async () => {
    const reply = 'A bonus is not in passages [2] or anywhere else; your full regular pay continues for up to 15 working days [1].';
    const answer = await askWithReply(reply);
    expect(answer.mode).toBe('llm');
    expect(answer.answer).toBe('A bonus is not in passages or anywhere else; your full regular pay continues for up to 15 working days [1].');
    expect(answer.notices).toEqual(['Removed citation [2] that named no retrieved passage.']);
  });
});

describe('an LLM reply that names the marker in its prose', () => {
  it.each([
    ['in the middle of a sentence, bare', 'I would reply NOT_IN_PASSAGES if they did not, but your full regular pay continues for up to 15 working days [1].'],
    ['in the middle of a sentence, bracketed', 'The marker [NOT_IN_PASSAGES] does not apply: your full regular pay continues for up to 15 working days [1].'],
    ['opening a sentence it goes on with', 'NOT_IN_PASSAGES does not apply here; your full regular pay continues for up to 15 working days [1].'],
  ])('is the answer, unchanged, with no partly-answered notice: %s', async (_where, reply) => {
    const answer = await askWithReply(reply);
    expect(answer).toMatchObject({ answer: reply, mode: 'llm', notices: [] });
    expect(answer.citations.map((c) => c.source)).toEqual(['jury.md']);
  });

  it('still abstains when the marker is the reply, whatever prose follows it', async () => {
    expectAbstention(await askWithReply('NOT_IN_PASSAGES.\nThe passages only describe jury pay.'));
  });
});

describe('an LLM reply with the marker and a cited answer', () => {
  it('keeps the cited answer without the marker, and says part went unanswered', async () => {
    const answer = await askWithReply('You keep your full regular pay for up to 15 working days [1].\n\n[NOT_IN_PASSAGES]');
    expect(answer).toMatchObject({ answer: 'You keep your full regular pay for up to 15 working days [1].', mode: 'llm', notices: [PARTLY] });
    expect(answer.citations.map((c) => c.id)).toEqual(['c1']);
  });

  it('keeps the valid citation and drops the bogus one when the marker sits between them', async () => {
    const answer = await askWithReply('Jury duty is paid time [1]. `[not_in_passages]` A bonus is 100 dollars [4].');
    expect(answer.mode).toBe('llm');
    expect(answer.answer).toBe('Jury duty is paid time [1]. A bonus is 100 dollars.');
    expect(answer.notices).toEqual([PARTLY, 'Removed citation [4] that named no retrieved passage.']);
  });
});

describe('reading the marker in untrusted text', () => {
  it('removes only the marker and what wraps it', () => {
    expect(readNoAnswerMarker('Paid [1]. "[NOT_IN_PASSAGES]". Next.')).toEqual({ said: true, rest: 'Paid [1]. Next.' });
    expect(readNoAnswerMarker('[NOT_IN_PASSAGES_YET]')).toEqual({ said: false, rest: '[NOT_IN_PASSAGES_YET]' });
    expect(readNoAnswerMarker('  plain answer [1]  ')).toEqual({ said: false, rest: '  plain answer [1]  ' });
  });

  it.each([
    ['near-markers', '[NOT_IN_PASSAGE'.repeat(70_000)],
    ['brackets and separators', `[${' _-'.repeat(350_000)}`],
    ['quotes and spaces', ' "`*'.repeat(250_000)],
    ['one run of spaces and tabs', ' \t'.repeat(500_000)],
    ['bracketed words that almost match', '[not in passagez] '.repeat(55_000)],
  ])('scans a megabyte of %s in linear time', (_kind, text) => {
    const started = performance.now();
    // The line break keeps the marker from ending the text's last attempt (every attempt must fail on its own) and starts the marker's line, so it counts.
    expect(readNoAnswerMarker(`${text}\n${NO_ANSWER_MARKER}`).said).toBe(true);
    expect(readLlmReply(`${text.replace(/\s/g, 'x')}\n${NO_ANSWER_MARKER}`, 1).mode).toBe('abstain');
    // Linear is tens of milliseconds here, a quadratic scan of a megabyte minutes: the bound leaves room for a busy machine.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
