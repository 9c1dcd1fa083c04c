import { afterEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import type { WorkerSettings } from '../../../server/config.js';
import { ApiError } from '../../../server/http/errors.js';
import { silentLogger } from '../../../server/logger.js';
import { WorkerGate } from '../../../server/worker-gate/worker-gate.js';
import type { WorkerConfig } from '../../../workers/protocol.js';
import { TINY_MODEL } from '../../helpers/models.js';

const FIXTURE = path.resolve('__tests__/server/worker-gate/fixtures/in-flight-worker.mjs');
const SETTINGS: WorkerSettings = { maxTasks: 1000, maxTasksJitter: 0, heapMb: 64, recycleRssMb: 100_000, maxQueue: 64, taskTimeoutMs: 50_000, restartCooldownMs: 2000, searchCacheEntries: 256, batchMax: 1, batchWaitMs: 0, pgSearchesInFlight: 3 };

interface FixtureOutput {
  query: string;
  batchSize: number;
  threadId: number;
  /** Searches the worker was running when this one started, itself included. */
  running: number;
}

interface Started {
  started: string;
  running: number;
}

let channels = 0;

/** A gate over the fixture worker, and the channel on which the worker says which searches started and the test releases them. */
function openGate(settings: Partial<WorkerSettings>, store: 'postgres' | 'files') {
  const name = `in-flight-${process.pid}-${channels++}`;
  const channel = new BroadcastChannel(name);
  const started: Started[] = [];
  const waiters: { query: string; resolve: () => void }[] = [];
  channel.onmessage = (event) => {
    const message = (event as unknown as { data: Started }).data;
    started.push(message);
    for (const waiter of waiters.filter((w) => w.query === message.started)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const workerData = { indexDir: 'unused', embedding: TINY_MODEL, ...(store === 'postgres' ? { indexStore: 'postgres://fixture/db' } : {}), channel: name } as WorkerConfig;
  const gate = new WorkerGate({ filename: FIXTURE, workerData, settings: { ...SETTINGS, ...settings }, log: silentLogger });
  return {
    gate,
    started,
    /** Resolves once the worker has started `query` `times` times (at once if it already has). */
    hasStarted: async (query: string, times = 1): Promise<void> => {
      while (started.filter((s) => s.started === query).length < times) await new Promise<void>((resolve) => waiters.push({ query, resolve }));
    },
    release: (query: string) => channel.postMessage({ release: query }),
    close: async () => {
      channel.postMessage({ release: '*' });
      await gate.close();
      channel.close();
    },
  };
}

const search = async (gate: WorkerGate, query: string): Promise<FixtureOutput> => (await gate.search({ query, topK: 1 })).value as unknown as FixtureOutput;

describe('several searches in flight on the PostgreSQL store', () => {
  const open: ReturnType<typeof openGate>[] = [];
  const gateFor = (settings: Partial<WorkerSettings> = {}, store: 'postgres' | 'files' = 'postgres') => {
    const made = openGate(settings, store);
    open.push(made);
    return made;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((made) => made.close()));
  });

  it('runs pgSearchesInFlight searches at once and holds the next one in the queue until one ends, answering in order of admission', async () => {
    const { gate, started, hasStarted, release } = gateFor();
    const queries = ['hold:a', 'hold:b', 'hold:c', 'hold:d'];
    const answers = queries.map((q) => search(gate, q));
    await Promise.all(queries.slice(0, 3).map((q) => hasStarted(q)));
    // Three on the worker at once; the fourth waits at the gate, not in the worker.
    expect(Math.max(...started.map((s) => s.running))).toBe(3);
    expect(gate.snapshot()).toMatchObject({ queued: 1, running: true });
    expect(started.map((s) => s.started)).not.toContain('hold:d');
    release('hold:b');
    await hasStarted('hold:d');
    expect(gate.snapshot().queued).toBe(0);
    for (const q of ['hold:a', 'hold:c', 'hold:d']) release(q);
    const outputs = await Promise.all(answers);
    expect(outputs.map((out) => out.query)).toEqual(queries);
    expect(outputs.map((out) => out.running)).toEqual([1, 2, 3, 3]);
    expect(gate.snapshot()).toMatchObject({ tasksTotal: 4, tasksSinceRecycle: 4, running: false });
  });

  it('keeps the file store at one task at a time whatever pgSearchesInFlight says', async () => {
    const { gate, started, hasStarted, release } = gateFor({}, 'files');
    const answers = ['hold:a', 'hold:b'].map((q) => search(gate, q));
    await hasStarted('hold:a');
    expect(gate.snapshot().queued).toBe(1);
    release('hold:a');
    await hasStarted('hold:b');
    release('hold:b');
    expect((await Promise.all(answers)).map((out) => out.running)).toEqual([1, 1]);
    expect(started.every((s) => s.running === 1)).toBe(true);
  });

  it('sends the searches waiting behind full slots as batches, each batch one task in flight', async () => {
    const { gate, hasStarted, release } = gateFor({ pgSearchesInFlight: 2, batchMax: 4 });
    const first = search(gate, 'hold:a');
    await hasStarted('hold:a');
    const second = search(gate, 'hold:b');
    await hasStarted('hold:b');
    // Both slots taken: these five wait, then go as 4 + 1 once the slots free up.
    const rest = ['c', 'd', 'e', 'f', 'g'].map((q) => search(gate, q));
    expect(gate.snapshot().queued).toBe(5);
    release('hold:a');
    release('hold:b');
    const outputs = await Promise.all([first, second, ...rest]);
    expect(outputs.map((out) => out.batchSize)).toEqual([1, 1, 4, 4, 4, 4, 1]);
    expect(gate.snapshot().tasksTotal).toBe(7);
  });

  it('counts a crash under several searches once and retries each of them alone, in order, so only the one that kills the worker fails', async () => {
    const { gate, started, hasStarted, release } = gateFor();
    const queries = ['hold:a', 'hold:crash', 'hold:b'];
    const results = Promise.allSettled(queries.map((q) => search(gate, q)));
    // All three on the worker at once, then the middle one kills it.
    await Promise.all(queries.map((q) => hasStarted(q)));
    release('hold:crash');
    // Each is retried alone, in order of admission: released only once it has started again.
    for (const q of queries) {
      await hasStarted(q, 2);
      release(q);
    }
    const settled = await results;
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((settled[1] as PromiseRejectedResult).reason as ApiError).code).toBe('WORKER_CRASHED');
    const answered = settled.filter((r): r is PromiseFulfilledResult<FixtureOutput> => r.status === 'fulfilled').map((r) => r.value);
    // The retries ran alone: nothing else was on the worker with them.
    expect(answered.map((out) => [out.query, out.running])).toEqual([['hold:a', 1], ['hold:b', 1]]);
    expect(started.map((s) => [s.started, s.running])).toEqual([
      ['hold:a', 1],
      ['hold:crash', 2],
      ['hold:b', 3],
      ['hold:a', 1],
      ['hold:crash', 1],
      ['hold:b', 1],
    ]);
    // One crash under the three, then the killer's again alone: two, not four.
    expect(gate.snapshot()).toMatchObject({ crashes: 2, retried: 3 });
  });

  it('recycles after exactly its count of searches: no search is sent past it while others are in flight', async () => {
    const { gate } = gateFor({ maxTasks: 4 });
    const outputs = await Promise.all(['sleep:100', 'sleep:100', 'sleep:100', 'a', 'b', 'c'].map((q) => search(gate, q)));
    const threads = outputs.map((out) => out.threadId);
    expect(new Set(threads.slice(0, 4)).size).toBe(1);
    expect(new Set(threads.slice(4)).size).toBe(1);
    expect(threads[4]).not.toBe(threads[0]);
    expect(gate.snapshot()).toMatchObject({ tasksSinceRecycle: 2, recyclesByReason: { tasks: 1 } });
  });

  it('answers 504 for a search past its deadline without aborting the worker while another search in flight is within its own', async () => {
    const { gate, hasStarted, release } = gateFor({ taskTimeoutMs: 5000 });
    const late = search(gate, 'hold:late').then(
      () => undefined,
      (error: unknown) => error as ApiError,
    );
    await hasStarted('hold:late');
    // Halfway to the first one's deadline, a second search: its own deadline ends 2.5 s later,
    // a wide margin on a busy machine for the release below to reach the worker in time.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const onTime = search(gate, 'hold:on-time');
    await hasStarted('hold:on-time');
    expect((await late)?.status).toBe(504);
    release('hold:on-time');
    expect((await onTime).query).toBe('hold:on-time');
    expect(gate.snapshot()).toMatchObject({ recycles: 0, crashes: 0 });
  });

  it('once every search in flight is past its deadline, terminates the worker and answers the next search on a fresh one', async () => {
    const { gate, hasStarted } = gateFor({ taskTimeoutMs: 1500 });
    const stuck = ['hold:x', 'hold:y'].map((q) =>
      search(gate, q).then(
        () => undefined,
        (error: unknown) => error as ApiError,
      ),
    );
    await Promise.all(['hold:x', 'hold:y'].map((q) => hasStarted(q)));
    for (const error of await Promise.all(stuck)) expect(error?.status).toBe(504);
    const next = await search(gate, 'after');
    expect(next.running).toBe(1);
    expect(gate.snapshot()).toMatchObject({ crashes: 0, recyclesByReason: { timeout: 1 } });
  });
});
