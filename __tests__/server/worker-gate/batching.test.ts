import { afterEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import type { WorkerSettings } from '../../../server/config.js';
import { ApiError } from '../../../server/http/errors.js';
import { silentLogger } from '../../../server/logger.js';
import { WorkerGate } from '../../../server/worker-gate/worker-gate.js';
import { TINY_MODEL } from '../../helpers/models.js';

const BATCH_WORKER = path.resolve('__tests__/server/worker-gate/fixtures/batch-worker.mjs');
const SETTINGS: WorkerSettings = { maxTasks: 1000, maxTasksJitter: 0, heapMb: 64, recycleRssMb: 100_000, maxQueue: 64, taskTimeoutMs: 50_000, restartCooldownMs: 2000, searchCacheEntries: 256, batchMax: 4, batchWaitMs: 0 };

/** What the fixture answers a search with: the query it was asked and how many searches shared its task. */
interface FixtureOutput {
  query: string;
  batchSize: number;
  threadId: number;
}

describe('micro-batching in the worker gate', () => {
  const gates: WorkerGate[] = [];
  const open = (settings: Partial<WorkerSettings> = {}) => {
    const gate = new WorkerGate({ filename: BATCH_WORKER, workerData: { indexDir: 'unused', embedding: TINY_MODEL }, settings: { ...SETTINGS, ...settings }, log: silentLogger });
    gates.push(gate);
    return gate;
  };
  const search = async (gate: WorkerGate, query: string): Promise<FixtureOutput> => (await gate.search({ query, topK: 1 })).value as unknown as FixtureOutput;
  const failure = async (promise: Promise<unknown>): Promise<ApiError> => {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  };
  afterEach(async () => {
    await Promise.all(gates.splice(0).map((gate) => gate.close()));
  });

  it('sends a lone search to an idle worker at once, and the searches that wait behind it as batches of at most batchMax, in order', async () => {
    const gate = open();
    const finished: string[] = [];
    const queries = ['sleep:300', ...Array.from({ length: 9 }, (_, i) => `q${i}`)];
    const outputs = await Promise.all(queries.map((q) => search(gate, q).then((out) => (finished.push(q), out))));
    expect(outputs.map((out) => out.query)).toEqual(queries);
    expect(finished).toEqual(queries);
    // The first ran alone; the nine that queued behind it went as 4 + 4 + 1.
    expect(outputs.map((out) => out.batchSize)).toEqual([1, 4, 4, 4, 4, 4, 4, 4, 4, 1]);
    expect(gate.snapshot()).toMatchObject({ tasksTotal: 10, tasksSinceRecycle: 10 });
  });

  it('with batchWaitMs, holds a lone search for company only right after a batch of several, never on an idle worker', async () => {
    const gate = open({ batchWaitMs: 2000 });
    const nextTick = () => new Promise((resolve) => setImmediate(resolve));
    // A fresh, idle worker: the first search goes at once, alone, and the next one after it.
    const idle = [search(gate, 'sleep:300')];
    await nextTick();
    idle.push(search(gate, 'a'));
    expect((await Promise.all(idle)).map((out) => out.batchSize)).toEqual([1, 1]);
    // Load: two searches queued behind a third went together...
    const blocker = search(gate, 'sleep:300');
    const pair = await Promise.all(['b', 'c'].map((q) => search(gate, q)));
    await blocker;
    expect(pair.map((out) => out.batchSize)).toEqual([2, 2]);
    // ...so the next lone search waits, and the one asked a moment later joins it.
    const first = search(gate, 'd');
    await nextTick();
    const second = search(gate, 'e');
    expect((await Promise.all([first, second])).map((out) => out.batchSize)).toEqual([2, 2]);
  });

  it('runs one task at a time with batchMax 1 (the naive build)', async () => {
    const gate = open({ batchMax: 1 });
    const outputs = await Promise.all(['sleep:100', 'a', 'b', 'c'].map((q) => search(gate, q)));
    expect(outputs.map((out) => out.batchSize)).toEqual([1, 1, 1, 1]);
  });

  it('batches only searches in a row: a document task ends the batch and keeps its place', async () => {
    const gate = open();
    const order: string[] = [];
    const first = search(gate, 'sleep:300').then(() => order.push('sleep'));
    const searches = ['a', 'b'].map((q) => search(gate, q).then((out) => (order.push(q), out)));
    const document = gate.document('x.md').then(() => order.push('document'));
    const last = search(gate, 'c').then((out) => (order.push('c'), out));
    await Promise.all([first, ...searches, document, last]);
    expect(order).toEqual(['sleep', 'a', 'b', 'document', 'c']);
    expect((await searches[0]!).batchSize).toBe(2);
    expect((await last).batchSize).toBe(1);
  });

  it('fails a search that fails inside a batch alone, and answers the others', async () => {
    const gate = open();
    const blocker = search(gate, 'sleep:300');
    const results = await Promise.allSettled(['a', 'fail', 'b'].map((q) => search(gate, q)));
    await blocker;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseFulfilledResult<FixtureOutput>).value.batchSize).toBe(3);
    const error = (results[1] as PromiseRejectedResult).reason as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('WORKER_ERROR');
    expect(gate.snapshot().crashes).toBe(0);
  });

  it('drops a search whose deadline passed while it waited, before the batch is sent', async () => {
    const gate = open({ taskTimeoutMs: 1500 });
    const blocker = search(gate, 'sleep:10000');
    // Queued behind a task that outlives their deadline: both expire waiting, so no batch carries them.
    const late = ['a', 'b'].map((q) => failure(search(gate, q)));
    expect((await failure(blocker)).status).toBe(504);
    for (const error of await Promise.all(late)) expect(error.status).toBe(504);
    // Nothing came back from the worker: the blocker was aborted, the two never sent.
    expect(gate.snapshot()).toMatchObject({ tasksTotal: 0, queued: 0 });
  });

  it('aborts a running batch once every search in it is past its deadline, and starts a fresh worker', async () => {
    const gate = open({ taskTimeoutMs: 3000 });
    const blocker = search(gate, 'sleep:100');
    const stuck = ['sleep:20000', 'b'].map((q) => failure(search(gate, q)));
    await blocker;
    for (const error of await Promise.all(stuck)) expect(error.status).toBe(504);
    const next = await search(gate, 'c');
    expect(next.batchSize).toBe(1);
    expect(gate.snapshot().recyclesByReason.timeout).toBe(1);
  });

  it('when the worker dies under a batch, retries its searches one by one, so only the one that kills the worker fails', async () => {
    const gate = open();
    const blocker = search(gate, 'sleep:300');
    const results = await Promise.allSettled(['a', 'crash', 'b', 'c'].map((q) => search(gate, q)));
    await blocker;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const answered = results.filter((r): r is PromiseFulfilledResult<FixtureOutput> => r.status === 'fulfilled').map((r) => r.value);
    expect(answered.map((out) => [out.query, out.batchSize])).toEqual([['a', 1], ['b', 1], ['c', 1]]);
    const error = (results[1] as PromiseRejectedResult).reason as ApiError;
    expect(error.code).toBe('WORKER_CRASHED');
    // The batch, then the killer again alone.
    expect(gate.snapshot().crashes).toBe(2);
  });

  it('answers every search of a batch that crashed only because they shared it', async () => {
    const gate = open();
    const blocker = search(gate, 'sleep:300');
    const outputs = await Promise.all(['a', 'crash-in-batch', 'b'].map((q) => search(gate, q)));
    await blocker;
    expect(outputs.map((out) => [out.query, out.batchSize])).toEqual([['a', 1], ['crash-in-batch', 1], ['b', 1]]);
    expect(gate.snapshot()).toMatchObject({ crashes: 1, recycles: 1 });
  });

  it('counts each search of a batch towards the routine recycle, and cuts a batch so the recycle comes after exactly that many', async () => {
    const gate = open({ maxTasks: 4 });
    const blocker = search(gate, 'sleep:300');
    const outputs = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((q) => search(gate, q)));
    await blocker;
    // 1 (the blocker) + 3 reach the 4 tasks; the fourth search waits for the fresh worker.
    expect(outputs.map((out) => out.batchSize)).toEqual([3, 3, 3, 2, 2]);
    expect(gate.snapshot().recyclesByReason.tasks).toBe(1);
    expect(outputs[3]!.threadId).not.toBe(outputs[0]!.threadId);
  });
});
