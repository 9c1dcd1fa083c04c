import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { StatusOutput, WorkerMemory } from '../../../workers/protocol.js';
import { ApiError } from '../../../server/http/errors.js';
import { TaskQueue, type Job } from '../../../server/worker-gate/task-queue.js';

const MEMORY: WorkerMemory = { rssBytes: 1, heapUsedBytes: 2, heapTotalBytes: 3, externalBytes: 4, arrayBuffersBytes: 5 };
const STATE: StatusOutput = { indexLoaded: true, modelLoaded: true, retrieval: 'hybrid', chunks: 3, model: 'm', indexDir: '/index', generation: 'g1' };

function queue(maxQueue = 3) {
  const clock = { now: 1000 };
  const expired: Job[] = [];
  const tasks = new TaskQueue({ settings: { maxQueue, taskTimeoutMs: 500 }, onDeadline: (job) => expired.push(job), now: () => clock.now });
  const add = (query: string) => tasks.add({ task: 'search', query, topK: 1 }, clock.now);
  return { tasks, clock, expired, add };
}

const queryOf = (job: Job | undefined) => (job?.task.task === 'search' ? job.task.query : undefined);

describe('the task queue', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('refuses once maxQueue tasks wait, and a lowered limit applies at once', () => {
    const { tasks, add } = queue(2);
    expect(tasks.refusal()).toBeUndefined();
    void add('a');
    void add('b');
    const refusal = tasks.refusal();
    expect(refusal).toMatchObject({ status: 503, code: 'QUEUE_FULL', retryAfterSeconds: 1 });
    expect(refusal!.message).toBe('2 requests are already waiting for the search worker (limit 2)');
    tasks.setLimit(5);
    expect(tasks.refusal()).toBeUndefined();
    tasks.setLimit(1);
    expect(tasks.refusal()!.message).toContain('(limit 1)');
    tasks.setLimit(undefined);
    expect(tasks.refusal()!.message).toContain('(limit 2)');
  });

  it('hands out jobs first in, first out; a job put back goes first; remove and takeAll empty it', () => {
    const { tasks, add } = queue(10);
    for (const q of ['a', 'b', 'c', 'd']) void add(q);
    const a = tasks.next();
    expect(queryOf(a)).toBe('a');
    tasks.putBack(a!);
    expect(queryOf(tasks.next())).toBe('a');
    const b = tasks.next()!;
    tasks.putBack(b);
    tasks.remove(b);
    tasks.remove(b);
    expect(tasks.takeAll().map(queryOf)).toEqual(['c', 'd']);
    expect(tasks.length).toBe(0);
    expect(tasks.next()).toBeUndefined();
  });

  it('resolves with the value, the queue wait as the time before the run, and the run time', async () => {
    const { tasks, clock, add } = queue();
    const result = add('a');
    clock.now = 1250;
    tasks.next()!.settle(undefined, { ok: true, value: { hits: [] }, memory: MEMORY, state: STATE }, 200);
    await expect(result).resolves.toEqual({ value: { hits: [] }, memory: MEMORY, state: STATE, queueMs: 50, runMs: 200 });
  });

  it("turns the worker's reported failure into the server's error, and passes other errors through", async () => {
    const { tasks, add } = queue();
    const missing = add('a');
    const other = add('b');
    tasks.next()!.settle(undefined, { ok: false, code: 'INDEX_NOT_FOUND', message: 'no index in /index', memory: MEMORY, state: STATE });
    await expect(missing).rejects.toMatchObject({ status: 503, code: 'INDEX_NOT_READY', message: 'no index in /index. Build it with npm run prebuild' });
    const shed = new ApiError(503, 'MEMORY_DEGRADED', 'shed');
    tasks.next()!.settle(shed);
    await expect(other).rejects.toBe(shed);
  });

  it('calls onDeadline at taskTimeoutMs after arrival, wherever the job is, and not once it is settled', async () => {
    const { tasks, expired, add } = queue();
    void add('late').catch(() => undefined);
    const done = add('done');
    const late = tasks.next()!;
    jest.advanceTimersByTime(499);
    expect(expired).toEqual([]);
    tasks.next()!.settle(undefined, { ok: true, value: null, memory: MEMORY, state: STATE });
    await done;
    jest.advanceTimersByTime(1);
    expect(expired).toEqual([late]);
    jest.advanceTimersByTime(10_000);
    expect(expired).toHaveLength(1);
  });
});
