import { describe, expect, it } from '@jest/globals';
import type { StatusOutput, WorkerMemory } from '../../../workers/protocol.js';
import { GateCounters, type LiveState } from '../../../server/worker-gate/gate-stats.js';

const MEMORY: WorkerMemory = { rssBytes: 1, heapUsedBytes: 2, heapTotalBytes: 3, externalBytes: 4, arrayBuffersBytes: 5 };
const STATE: StatusOutput = { indexLoaded: true, modelLoaded: false, retrieval: 'lexical', chunks: 3, model: null, indexDir: '/index', generation: 'g1' };
const LIVE: LiveState = { unavailable: false, stopped: false, started: false, tasksSinceRecycle: 0, recycleAfter: 10, queued: 0, running: false, model: 'held', admission: null };

describe('the gate counters', () => {
  it('names the worker state: unavailable, then stopped, then running, then recycled once anything ran', () => {
    const counters = new GateCounters();
    expect(counters.snapshot(LIVE).worker).toBe('not-started');
    counters.crashed(new Error('boom'));
    expect(counters.snapshot(LIVE).worker).toBe('recycled');
    expect(counters.snapshot({ ...LIVE, started: true }).worker).toBe('running');
    expect(counters.snapshot({ ...LIVE, started: true, stopped: true }).worker).toBe('stopped');
    expect(counters.snapshot({ ...LIVE, started: true, stopped: true, unavailable: true }).worker).toBe('unavailable');
  });

  it('reports the model only while a worker exists', () => {
    const counters = new GateCounters();
    expect(counters.snapshot(LIVE).model).toBe('none');
    expect(counters.snapshot({ ...LIVE, started: true }).model).toBe('held');
  });

  it('counts tasks, crashes, heap exhaustion, retries and recycles, and keeps the last failure until a success', () => {
    const counters = new GateCounters();
    counters.taskDone({ ok: false, code: 'INDEX_CORRUPT', message: 'bad', memory: MEMORY, state: STATE });
    expect(counters.snapshot(LIVE)).toMatchObject({ tasksTotal: 1, lastError: { code: 'INDEX_CORRUPT', message: 'bad' }, lastWorkerMemory: MEMORY, lastState: STATE });
    counters.taskDone({ ok: true, value: null, memory: MEMORY, state: STATE });
    expect(counters.snapshot(LIVE).lastError).toBeNull();
    counters.crashed(Object.assign(new Error('heap'), { code: 'ERR_WORKER_OUT_OF_MEMORY' }));
    counters.crashed(new Error('other'));
    counters.outOfMemoryIf(null);
    counters.retriedOnce();
    counters.recycled('memory');
    counters.recycled('memory');
    counters.recycled('tasks');
    counters.failed('WORKER_CRASHED', 'x');
    const stats = counters.snapshot(LIVE);
    expect(stats).toMatchObject({ tasksTotal: 2, crashes: 2, outOfMemory: 1, retried: 1, recycles: 3, lastError: { code: 'WORKER_CRASHED', message: 'x' } });
    expect(stats.recyclesByReason).toEqual({ tasks: 1, rss: 0, memory: 2, crash: 0, timeout: 0, requested: 0, model: 0, generation: 0 });
    // A snapshot is a copy: counting on does not change it.
    counters.recycled('tasks');
    expect(stats.recyclesByReason.tasks).toBe(1);
  });

  it('keeps the order of the keys /api/memory has always shown', () => {
    expect(Object.keys(new GateCounters().snapshot(LIVE))).toEqual([
      'recycles', 'recyclesByReason', 'tasksSinceRecycle', 'recycleAfter', 'tasksTotal', 'crashes', 'outOfMemory', 'retried',
      'lastWorkerMemory', 'lastState', 'lastError', 'worker', 'queued', 'running', 'model', 'admission',
    ]);
  });
});
