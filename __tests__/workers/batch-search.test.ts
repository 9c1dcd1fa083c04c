import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { Piscina } from 'piscina';
import type { WorkerSettings } from '../../server/config.js';
import { silentLogger } from '../../server/logger.js';
import { WorkerGate } from '../../server/worker-gate/worker-gate.js';
import { prebuild } from '../../indexing/prebuild.js';
import type { SearchBatchOutput, SearchOutput, SearchRequest, WorkerResult, WorkerTask } from '../../workers/protocol.js';
import { FUSION, SAMPLE_CORPUS, STATIC_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

// ts-jest does not transform code inside worker threads: the pool runs the compiled worker.
const WORKER = path.resolve('dist/workers/worker.js');
const SETTINGS: WorkerSettings = { maxTasks: 1000, maxTasksJitter: 0, heapMb: 128, recycleRssMb: 100_000, maxQueue: 64, taskTimeoutMs: 60_000, restartCooldownMs: 2000, searchCacheEntries: 256, batchMax: 8, batchWaitMs: 0 };

const QUESTIONS = ['How many vacation days do I get each year?', 'Who approves my travel expenses?', 'What should I do if I lose my laptop?'];

function value<T>(result: WorkerResult<T>): T {
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.value;
}

/** A search's answer without its timings (they differ between any two runs). */
const answerOf = (out: SearchOutput) => ({ ...out, timings: undefined });

describe('search batches in the real worker', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let indexDir: string;
  const pools: Piscina[] = [];
  const open = (searchCacheEntries = 0) => {
    const piscina = new Piscina({ filename: WORKER, minThreads: 0, maxThreads: 1, workerData: { indexDir, embedding: STATIC_MODEL, fusion: FUSION, searchCacheEntries }, resourceLimits: { maxOldGenerationSizeMb: 128 } });
    pools.push(piscina);
    return piscina;
  };
  const run = async <T>(piscina: Piscina, task: WorkerTask) => value((await piscina.run(task)) as WorkerResult<T>);

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    indexDir = path.join(dir, 'index');
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.destroy()));
    await cleanup();
  });

  it('answers each search of a batch, in order, as it answers it alone, with one model call for the distinct questions', async () => {
    const piscina = open();
    const searches: SearchRequest[] = [
      { query: QUESTIONS[0]!, topK: 3 },
      { query: QUESTIONS[1]!, topK: 5, sentences: true },
      { query: QUESTIONS[0]!, topK: 2, mode: 'vector' },
      { query: QUESTIONS[2]!, topK: 3, mode: 'lexical' },
    ];
    const batch = await run<SearchBatchOutput>(piscina, { task: 'searchBatch', searches });
    // The lexical search needs no vector and the repeated question is embedded once.
    expect(batch.embedded).toBe(2);
    expect(batch.results).toHaveLength(4);
    for (const [i, request] of searches.entries()) {
      const alone = await run<SearchOutput>(piscina, { task: 'search', ...request });
      const item = batch.results[i]!;
      if (!item.ok) throw new Error(item.message);
      expect(answerOf(item.value)).toEqual(answerOf(alone));
      expect(item.value.hits.length).toBe(request.topK);
    }
  });

  it('gives each search of a batch its own answer: a filter no chunk matches answers empty beside full answers', async () => {
    const piscina = open();
    const batch = await run<SearchBatchOutput>(piscina, {
      task: 'searchBatch',
      searches: [{ query: QUESTIONS[0]!, topK: 2 }, { query: QUESTIONS[1]!, topK: 2, filter: { source: 'no-such-folder/' } }, { query: QUESTIONS[2]!, topK: 2 }],
    });
    expect(batch.results.map((r) => r.ok)).toEqual([true, true, true]);
    const [first, filtered, last] = batch.results.map((r) => (r.ok ? r.value : undefined));
    expect(first!.hits).toHaveLength(2);
    expect(filtered!.hits).toEqual([]);
    expect(last!.hits).toHaveLength(2);
  });

  it('clears both caches on a generation swap: the swap reaches the worker as a recycle, and the fresh worker starts empty', async () => {
    const gate = new WorkerGate({ filename: WORKER, workerData: { indexDir, embedding: STATIC_MODEL, fusion: FUSION, searchCacheEntries: 16 }, settings: SETTINGS, log: silentLogger });
    try {
      const first = await gate.search({ query: QUESTIONS[0]!, topK: 3 });
      expect(first.value.timings.embedMs).toBeGreaterThan(0);
      const repeated = await gate.search({ query: QUESTIONS[0]!, topK: 3 });
      // From the results cache: nothing embedded, nothing scanned.
      expect(repeated.value.timings).toEqual({ embedMs: 0, searchMs: 0 });
      const before = repeated.state.generation;
      await prebuild({ docsDir: SAMPLE_CORPUS, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false, full: true });
      gate.requestRecycle('requested');
      const afterSwap = await gate.search({ query: QUESTIONS[0]!, topK: 3 });
      expect(afterSwap.state.generation).not.toBe(before);
      // Embedded again: neither the result nor the question's vector survived the swap.
      expect(afterSwap.value.timings.embedMs).toBeGreaterThan(0);
      expect(answerOf(afterSwap.value).hits).toEqual(answerOf(first.value).hits);
    } finally {
      await gate.close();
    }
  }, 120_000);
});
