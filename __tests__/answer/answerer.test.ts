import { describe, expect, it } from '@jest/globals';
import { Answerer } from '../../answer/answerer.js';
import type { AnswerLlm, MemoryMode, SearchFn } from '../../answer/ports.js';
import { silentLogger } from '../../server/logger.js';
import type { RelevanceFloors } from '../../answer/relevance.js';
import type { TaskResult } from '../../server/worker-gate/worker-gate.js';
import type { SearchOutput, StatusOutput } from '../../workers/protocol.js';

const NO_FLOORS: RelevanceFloors = { minCoverage: 0, minKeywordMatch: 0, minSimilarity: -1, minCorpusSimilarity: -1, maxUnknownShare: 1 };
const JURY = 'Jury duty is treated as paid time. The company continues your full regular pay for up to 15 working days of service. Forward the summons to People Ops.';
const SIMILARITY = { 'Jury duty is treated as paid time.': 0.3, 'The company continues your full regular pay for up to 15 working days of service.': 0.8, 'Forward the summons to People Ops.': 0.1 };
const STATE: StatusOutput = { indexLoaded: true, modelLoaded: true, retrieval: 'hybrid', chunks: 1, model: 'm', indexDir: '/i', generation: 'g' };

/** The worker's side of a search, recorded: what the answerer asked for. */
function searchRecording(storedSentences = true) {
  const asked: { sentences?: boolean | 'stored' }[] = [];
  const search: SearchFn = async (request) => {
    const options = request.sentences === undefined ? {} : { sentences: request.sentences };
    asked.push(options);
    const value: SearchOutput = {
      hits: [{ id: 'c1', source: 'jury.md', title: 'Jury duty', headings: [], start: 0, end: JURY.length, text: JURY, score: 1, scores: { vector: { rank: 1, score: 0.6 } } }],
      retrieval: 'hybrid',
      query: { unknownTerms: [], keywordMatch: 0.5, corpusSimilarity: 0.5 },
      ...(options.sentences === true || (options.sentences === 'stored' && storedSentences) ? { sentenceSimilarity: SIMILARITY } : {}),
      timings: { embedMs: 1, searchMs: 1 },
    };
    return { value, memory: { rssBytes: 0, heapUsedBytes: 0, heapTotalBytes: 0, externalBytes: 0, arrayBuffersBytes: 0 }, state: STATE, queueMs: 0, runMs: 1 } satisfies TaskResult<SearchOutput>;
  };
  return { asked, search };
}

const question = { question: 'Will I still get my salary if I am picked for a jury?', topK: 5 };

describe('Answerer and sentence meaning', () => {
  it('without an LLM, asks the worker to score sentences and quotes the paraphrase', async () => {
    const { asked, search } = searchRecording();
    const answer = await new Answerer({ search, llm: null, floors: NO_FLOORS, log: silentLogger, meaningWeight: 6 }).ask(question);
    expect(asked).toEqual([{ sentences: true }]);
    expect(answer.mode).toBe('extractive');
    expect(answer.answer).toContain('full regular pay for up to 15 working days');
  });

  it('asks for nothing more with an LLM configured or with the weight at 0', async () => {
    const llm: AnswerLlm = { complete: async () => ({ text: 'Yes, for 15 days [1].' }) };
    const cases: { llm: AnswerLlm | null; mode: MemoryMode; weight: number; busy: boolean }[] = [
      { llm, mode: 'normal', weight: 6, busy: false },
      { llm, mode: 'cautious', weight: 6, busy: false },
      { llm: null, mode: 'normal', weight: 0, busy: false },
    ];
    for (const c of cases) {
      const { asked, search } = searchRecording();
      const answer = await new Answerer({ search, llm: c.llm, floors: NO_FLOORS, log: silentLogger, meaningWeight: c.weight, memoryMode: () => c.mode, workerBusy: () => c.busy }).ask(question);
      expect(asked).toEqual([{}]);
      if (!c.llm) expect(answer.answer).not.toContain('full regular pay');
    }
  });

  it('when memory is short, asks for stored sentence scores only (a read), never for sentences to be embedded', async () => {
    for (const busy of [false, true]) {
      const { asked, search } = searchRecording();
      const answer = await new Answerer({ search, llm: null, floors: NO_FLOORS, log: silentLogger, meaningWeight: 6, memoryMode: () => 'cautious', workerBusy: () => busy }).ask(question);
      expect(asked).toEqual([{ sentences: 'stored' }]);
      expect(answer.answer).toContain('full regular pay for up to 15 working days');
    }
  });

  it('while the worker is busy, asks for stored sentence scores only: the same answer as when idle from an index that has them, by words from one that has not', async () => {
    const idle = searchRecording();
    const quiet = await new Answerer({ search: idle.search, llm: null, floors: NO_FLOORS, log: silentLogger, meaningWeight: 6, workerBusy: () => false }).ask(question);
    const stored = searchRecording();
    const busy = await new Answerer({ search: stored.search, llm: null, floors: NO_FLOORS, log: silentLogger, meaningWeight: 6, workerBusy: () => true }).ask(question);
    expect(stored.asked).toEqual([{ sentences: 'stored' }]);
    expect(busy.answer).toBe(quiet.answer);
    expect(busy.answer).toContain('full regular pay for up to 15 working days');
    const without = searchRecording(false);
    const byWords = await new Answerer({ search: without.search, llm: null, floors: NO_FLOORS, log: silentLogger, meaningWeight: 6, workerBusy: () => true }).ask(question);
    expect(without.asked).toEqual([{ sentences: 'stored' }]);
    expect(byWords.answer).not.toContain('full regular pay');
  });
});
