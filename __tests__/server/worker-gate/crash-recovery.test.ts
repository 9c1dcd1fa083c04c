import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { StatusOutput, WorkerMemory } from '../../../workers/protocol.js';
import type { ApiError } from '../../../server/http/errors.js';
import { createLogger } from '../../../server/logger.js';
import { CrashRecovery } from '../../../server/worker-gate/crash-recovery.js';
import { GateCounters } from '../../../server/worker-gate/gate-stats.js';
import { RecyclePolicy } from '../../../server/worker-gate/recycle-policy.js';
import { TaskQueue, type Job } from '../../../server/worker-gate/task-queue.js';

const MEMORY: WorkerMemory = { rssBytes: 1, heapUsedBytes: 2, heapTotalBytes: 3, externalBytes: 4, arrayBuffersBytes: 5 };
const STATE: StatusOutput = { indexLoaded: true, modelLoaded: true, retrieval: 'hybrid', chunks: 3, model: 'm', indexDir: '/index', generation: 'g1' };
const LIVE = { unavailable: false, stopped: false, started: true, tasksSinceRecycle: 0, recycleAfter: 10, queued: 0, running: false, model: 'none', admission: null } as const;

/** The recovery over real parts, a stepped clock and a recording logger; task deadlines an hour off (fake timers). */
function recovery(taskTimeoutMs = 3_600_000) {
  const clock = { now: 1_000_000 };
  const now = () => clock.now;
  const stats = new GateCounters();
  const policy = new RecyclePolicy({ maxTasks: 100, maxTasksJitter: 0, recycleRssMb: 100_000 }, () => 0, () => 0);
  const queue = new TaskQueue({ settings: { maxQueue: 10, taskTimeoutMs: 3_600_000 }, onDeadline: () => undefined, now });
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const crash = new CrashRecovery({ settings: { taskTimeoutMs, restartCooldownMs: 5000 }, log, stats, policy, queue, now });
  const add = (query: string) => {
    const result = queue.add({ task: 'search', query, topK: 1 }, clock.now);
    result.catch(() => undefined);
    return result;
  };
  /** Take the next job as the loop does when it runs it. */
  const run = (): Job => {
    const job = queue.next()!;
    job.attempts++;
    return job;
  };
  return { crash, stats, policy, queue, clock, lines, add, run };
}

const settleAll = (queue: TaskQueue) => {
  for (const job of queue.takeAll()) job.settle(undefined, { ok: true, value: null, memory: MEMORY, state: STATE });
};

describe('crash recovery', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('retries a crashed task once, ahead of the others, then fails it; a crash on a fresh worker calls for a probe', async () => {
    const { crash, stats, policy, queue, lines, add, run } = recovery();
    const result = add('killer');
    void add('innocent');
    policy.taskDone();
    const first = run();
    crash.taskFailed(first, new Error('boom'));
    expect(queue.next()).toBe(first);
    expect(policy.pending).toBe('crash');
    // The worker had run a task: this one may be the problem, not the worker.
    expect(crash.takeProbe()).toBeUndefined();
    first.attempts++;
    policy.begin();
    policy.restart();
    crash.taskFailed(first, new Error('boom again'));
    await expect(result).rejects.toMatchObject({ status: 503, code: 'WORKER_CRASHED', message: 'The search worker crashed twice on this request: boom again' });
    expect(crash.takeProbe()).toBe('boom again');
    expect(crash.takeProbe()).toBeUndefined();
    expect(stats.snapshot(LIVE)).toMatchObject({ crashes: 2, retried: 1, lastError: { code: 'WORKER_CRASHED', message: 'boom again' } });
    // The log line's own fields carry the error message.
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', task: 'search', message: 'search worker crashed', error: 'boom', attempt: 1 }), expect.objectContaining({ level: 'warn', task: 'search', message: 'search worker crashed', error: 'boom again', attempt: 2 })]);
    settleAll(queue);
  });

  it('treats a task aborted past its deadline as a timeout, not a crash', () => {
    const { crash, stats, policy, queue, add, run } = recovery();
    void add('slow');
    const job = run();
    job.abort.abort(new Error('task deadline passed'));
    policy.request('memory');
    crash.taskFailed(job, new Error('aborted'));
    expect(policy.pending).toBe('memory');
    policy.begin();
    crash.taskFailed(job, new Error('aborted'));
    expect(policy.pending).toBe('timeout');
    expect(stats.snapshot(LIVE)).toMatchObject({ crashes: 0, retried: 0, lastError: null });
    expect(queue.length).toBe(0);
  });

  it('when the probe fails too: fails every waiting task, refuses for the cooldown with the seconds left, then lets tasks try again', async () => {
    const { crash, stats, policy, queue, clock, lines, add } = recovery();
    const waiting = [add('a'), add('b')];
    await crash.probe('the crash', () => Promise.reject(Object.assign(new Error('cannot load'), { code: 'ERR_WORKER_OUT_OF_MEMORY' })));
    for (const task of waiting) await expect(task).rejects.toMatchObject({ status: 503, code: 'WORKER_UNAVAILABLE', message: 'The search worker cannot start: cannot load', retryAfterSeconds: 5 });
    expect(queue.length).toBe(0);
    expect(policy.pending).toBe('crash');
    expect(stats.snapshot(LIVE)).toMatchObject({ outOfMemory: 1, crashes: 0, lastError: { code: 'WORKER_UNAVAILABLE', message: 'cannot load' } });
    expect(lines).toEqual([expect.objectContaining({ level: 'error', cooldownMs: 5000, message: 'search worker cannot be started; refusing tasks for a while', error: 'cannot load' })]);
    clock.now += 3500;
    expect(crash.isUnavailable()).toBe(true);
    expect((crash.unavailableError() as ApiError).retryAfterSeconds).toBe(1.5);
    clock.now += 1000;
    expect(crash.unavailableError().retryAfterSeconds).toBe(1);
    clock.now += 500;
    expect(crash.isUnavailable()).toBe(false);
  });

  it('a probe that is not an Error keeps the crash message; a probe that passes changes nothing', async () => {
    const { crash, stats, add, queue } = recovery();
    void add('a');
    await crash.probe('the crash', async () => undefined);
    expect([crash.isUnavailable(), queue.length, stats.snapshot(LIVE).lastError]).toEqual([false, 1, null]);
    await crash.probe('the crash', () => Promise.reject('not an error'));
    expect(crash.unavailableError().message).toBe('The search worker cannot start: the crash');
  });

  it('aborts a probe that hangs at the task deadline, or after 10 s if tasks may take longer', async () => {
    for (const [taskTimeoutMs, abortAfterMs] of [[50, 50], [60_000, 10_000]] as const) {
      const { crash } = recovery(taskTimeoutMs);
      let signal: AbortSignal | undefined;
      const probe = crash.probe('hung', (given) => {
        signal = given;
        return new Promise((_, reject) => given.addEventListener('abort', () => reject(new Error('probe timed out'))));
      });
      await jest.advanceTimersByTimeAsync(abortAfterMs - 1);
      expect(signal!.aborted).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      await probe;
      expect(signal!.aborted).toBe(true);
      expect(crash.unavailableError().message).toBe('The search worker cannot start: probe timed out');
    }
  });
});
