import { describe, expect, it } from '@jest/globals';
import { ABSTAIN_ANSWER, Answerer, type AnswerEvent, type AskInput, type AskResponse } from '../../answer/answerer.js';
import type { AnswerLlm, SearchFn } from '../../answer/ports.js';
import type { RelevanceFloors } from '../../answer/relevance.js';
import { silentLogger } from '../../server/logger.js';
import type { TaskResult } from '../../server/worker-gate/worker-gate.js';
import type { SearchOutput, SearchRequest, StatusOutput } from '../../workers/protocol.js';

const NO_FLOORS: RelevanceFloors = { minCoverage: 0, minKeywordMatch: 0, minSimilarity: -1, minCorpusSimilarity: -1, maxUnknownShare: 1 };
const JURY = 'Jury duty is treated as paid time. The company continues your full regular pay for up to 15 working days of service.';
const STATE: StatusOutput = { indexLoaded: true, modelLoaded: true, retrieval: 'hybrid', chunks: 1, model: 'm', indexDir: '/i', generation: 'g' };
const QUESTION: AskInput = { question: 'Is jury duty paid?', topK: 5 };
const OPENING = 'Yes: jury service is treated as paid time off work ';

function searchRecording() {
  const queries: string[] = [];
  const search: SearchFn = async (request: SearchRequest) => {
    queries.push(request.query);
    const value: SearchOutput = {
      hits: [{ id: 'c1', source: 'jury.md', title: 'Jury duty', headings: [], start: 0, end: JURY.length, text: JURY, score: 1, scores: { vector: { rank: 1, score: 0.6 } } }],
      retrieval: 'hybrid',
      query: { unknownTerms: [], keywordMatch: 0.5, corpusSimilarity: 0.5 },
      timings: { embedMs: 1, searchMs: 1 },
    };
    return { value, memory: { rssBytes: 0, heapUsedBytes: 0, heapTotalBytes: 0, externalBytes: 0, arrayBuffersBytes: 0 }, state: STATE, queueMs: 0, runMs: 1 } satisfies TaskResult<SearchOutput>;
  };
  return { queries, search };
}

/** An LLM that streams `pieces`, then fails with `error` if given. */
function streamingLlm(pieces: string[], error?: Error): AnswerLlm {
  return {
    complete: async () => ({ text: pieces.join('') }),
    async *stream() {
      for (const piece of pieces) yield piece;
      if (error) throw error;
    },
  };
}

async function events(answerer: Answerer, input: AskInput = QUESTION): Promise<{ tokens: string[]; answer: AskResponse }> {
  const all: AnswerEvent[] = [];
  for await (const event of answerer.askStream(input)) all.push(event);
  const last = all[all.length - 1]!;
  if (last.type !== 'answer') throw new Error('the last event is not the answer');
  expect(all.slice(0, -1).every((e) => e.type === 'token')).toBe(true);
  return { tokens: all.flatMap((e) => (e.type === 'token' ? [e.text] : [])), answer: last.answer };
}

const answerer = (llm: AnswerLlm | null) => new Answerer({ search: searchRecording().search, llm, floors: NO_FLOORS, log: silentLogger });

describe('Answerer.askStream', () => {
  it('ends with exactly what ask() returns, the tokens joining into its answer', async () => {
    const llm = streamingLlm([OPENING, 'for 15 days [1] or [', '4].']);
    const { tokens, answer } = await events(answerer(llm));
    const whole = await answerer(llm).ask(QUESTION);
    expect(tokens.join('')).toBe(answer.answer);
    expect({ ...answer, timings: null }).toEqual({ ...whole, timings: null });
  });

  it('holds the start back, so a reply that is only the no-answer marker shows nothing of it', async () => {
    const { tokens, answer } = await events(answerer(streamingLlm(['  "**[NOT_IN', '_PASSAGES]**".'])));
    expect(tokens).toEqual([ABSTAIN_ANSWER]);
    expect(answer.mode).toBe('abstain');
  });

  it('answers extractively when the LLM fails before sending text', async () => {
    const { tokens, answer } = await events(answerer(streamingLlm([], new Error('connection reset'))));
    expect(answer.mode).toBe('extractive');
    expect(tokens).toEqual([answer.answer]);
    // The notice names the kind of failure only; the error's own text stays in the log.
    expect(answer.notices.join(' ')).toContain('The language model failed (an unexpected error)');
    expect(answer.notices.join(' ')).not.toContain('connection reset');
  });

  it('keeps the part sent, with a notice, when the LLM fails midway', async () => {
    const { tokens, answer } = await events(answerer(streamingLlm([OPENING, 'for 15 days [1] and'], new Error('connection reset'))));
    expect(answer.mode).toBe('llm');
    expect(tokens.join('')).toBe(answer.answer);
    expect(answer.answer).toBe(`${OPENING}for 15 days [1] and`);
    expect(answer.notices.join(' ')).toContain('stopped partway (an unexpected error)');
  });

  it('ends with the abort when the caller cancels', async () => {
    const cancel = new AbortController();
    const llm: AnswerLlm = {
      complete: async () => ({ text: '' }),
      async *stream(_messages, signal) {
        yield OPENING.repeat(2);
        await new Promise((_, reject) => {
          if (signal!.aborted) reject(signal!.reason as Error);
          signal!.addEventListener('abort', () => reject(signal!.reason as Error));
        });
      },
    };
    const iterator = answerer(llm).askStream(QUESTION, cancel.signal);
    expect((await iterator.next()).value).toMatchObject({ type: 'token' });
    const next = iterator.next();
    cancel.abort(new Error('client left'));
    await expect(next).rejects.toThrow('client left');
  });

  it('retrieves for the follow-up made standalone by the rule, without an LLM', async () => {
    const { queries, search } = searchRecording();
    const history = [{ role: 'user' as const, content: 'Is jury duty paid?' }, { role: 'assistant' as const, content: 'Yes [1].' }];
    const { answer } = await events(new Answerer({ search, llm: null, floors: NO_FLOORS, log: silentLogger }), { question: 'and for how long?', topK: 5, history });
    expect(queries).toEqual(['and for how long? (jury duty paid)']);
    expect(answer.notices[0]).toBe('Read with the earlier turns as: "and for how long? (jury duty paid)"');
  });
});
