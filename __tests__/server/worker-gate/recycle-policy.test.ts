import { describe, expect, it } from '@jest/globals';
import { mergeRecycleRequest, MIN_TASKS_BEFORE_RSS_RECYCLE, recycleAfterTask, RecyclePolicy, tasksBeforeRecycle, type RecycleReason } from '../../../server/worker-gate/recycle-policy.js';

const MB = 1048576;
const SETTINGS = { maxTasks: 100, maxTasksJitter: 20, recycleRssMb: 300 };

describe('the recycle policy', () => {
  it('draws the routine limit from maxTasks plus 0 to maxTasksJitter tasks', () => {
    expect(tasksBeforeRecycle(SETTINGS, () => 0)).toBe(100);
    expect(tasksBeforeRecycle(SETTINGS, () => 0.999)).toBe(120);
    expect(tasksBeforeRecycle(SETTINGS, () => 0.5)).toBe(110);
    expect(tasksBeforeRecycle({ ...SETTINGS, maxTasksJitter: 0 }, () => 0.999)).toBe(100);
  });

  it('keeps the first reason asked, except that memory outranks all but a crash or a timeout', () => {
    const cases: [RecycleReason | undefined, RecycleReason, RecycleReason][] = [
      [undefined, 'tasks', 'tasks'],
      ['tasks', 'rss', 'tasks'],
      ['requested', 'model', 'requested'],
      ['tasks', 'memory', 'memory'],
      ['rss', 'memory', 'memory'],
      ['model', 'memory', 'memory'],
      ['requested', 'memory', 'memory'],
      ['crash', 'memory', 'crash'],
      ['timeout', 'memory', 'timeout'],
      ['memory', 'crash', 'memory'],
    ];
    for (const [pending, asked, expected] of cases) expect([pending, asked, mergeRecycleRequest(pending, asked)]).toEqual([pending, asked, expected]);
  });

  it('recycles after the task count, or for RSS only once the worker has run enough tasks, reading RSS only then', () => {
    let reads = 0;
    const rss = (mb: number) => () => {
      reads++;
      return mb * MB;
    };
    expect(recycleAfterTask({ tasksSinceRecycle: 5, recycleAfter: 5 }, 300, rss(999))).toBe('tasks');
    expect(recycleAfterTask({ tasksSinceRecycle: MIN_TASKS_BEFORE_RSS_RECYCLE - 1, recycleAfter: 50 }, 300, rss(999))).toBeUndefined();
    expect(reads).toBe(0);
    expect(recycleAfterTask({ tasksSinceRecycle: MIN_TASKS_BEFORE_RSS_RECYCLE, recycleAfter: 50 }, 300, rss(301))).toBe('rss');
    expect(recycleAfterTask({ tasksSinceRecycle: MIN_TASKS_BEFORE_RSS_RECYCLE, recycleAfter: 50 }, 300, rss(300))).toBeUndefined();
    expect(reads).toBe(2);
  });

  it('counts tasks per worker, lets a crash replace what was pending, and starts over with a new draw after a recycle', () => {
    const draws = [0, 0.999];
    const policy = new RecyclePolicy({ ...SETTINGS, maxTasks: 2 }, () => 0, () => draws.shift() ?? 0);
    expect(policy.recycleAfter).toBe(2);
    policy.taskDone();
    policy.checkAfterTask();
    expect(policy.pending).toBeUndefined();
    policy.request('requested');
    policy.taskDone();
    policy.checkAfterTask();
    // Due for its count, but the request came first.
    expect(policy.pending).toBe('requested');
    policy.requestIfNone('model');
    expect(policy.pending).toBe('requested');
    policy.require('crash');
    expect(policy.pending).toBe('crash');
    policy.begin();
    expect(policy.pending).toBeUndefined();
    expect(policy.tasksSinceRecycle).toBe(2);
    policy.restart();
    expect([policy.tasksSinceRecycle, policy.recycleAfter]).toEqual([0, 22]);
  });
});
