import { describe, expect, it } from '@jest/globals';
import { RefusalLog } from '../../../server/http/refusal-log.js';
import { createLogger } from '../../../server/logger.js';
import { startFakeApp } from '../../helpers/fake-app.js';
import { call } from '../../helpers/http-call.js';

function captured() {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createLogger('info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)) };
}

describe('RefusalLog', () => {
  it('lets the first refusal of each kind per interval through, counts the rest, and says how many when the interval ends', () => {
    let now = 0;
    const { lines, log } = captured();
    const refusals = new RefusalLog(log, { intervalMs: 10_000, now: () => now });
    const admitted = [];
    for (let i = 0; i < 1000; i++) admitted.push(refusals.admit('503 QUEUE_FULL /api/search'));
    admitted.push(refusals.admit('429 RATE_LIMITED /api/ask'), refusals.admit('429 RATE_LIMITED /api/ask'));
    expect(admitted.filter(Boolean)).toHaveLength(2);
    expect(lines).toEqual([]);
    now = 10_000;
    // The next refusal, after the interval, is logged again, and the summary comes first.
    expect(refusals.admit('503 QUEUE_FULL /api/search')).toBe(true);
    expect(lines).toEqual([{ level: 'warn', time: expect.any(String), total: 1000, counts: { '503 QUEUE_FULL /api/search': 999, '429 RATE_LIMITED /api/ask': 1 }, seconds: 10, message: 'refusals not logged' }]);
  });

  it('logs every refusal with an interval of 0', () => {
    const { log } = captured();
    const refusals = new RefusalLog(log, { intervalMs: 0 });
    expect([1, 2, 3].map(() => refusals.admit('404 - (unmatched)'))).toEqual([true, true, true]);
  });

  it('writes the summary even when its timer fires before the clock says the interval is over', async () => {
    const { lines, log } = captured();
    // A clock that runs at 90% of the timers' speed: every timer fires early by its reckoning.
    const origin = Date.now();
    const refusals = new RefusalLog(log, { intervalMs: 50, now: () => origin + (Date.now() - origin) * 0.9 });
    refusals.admit('404 NOT_FOUND (unmatched)');
    refusals.admit('404 NOT_FOUND (unmatched)');
    // Waits on the event; the bound only turns a summary that never comes into a failure rather than a hang.
    for (let waited = 0; lines.length === 0 && waited < 5_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines[0]).toMatchObject({ message: 'refusals not logged', total: 1 });
  });

  it('writes the summary when the interval ends even if no request comes after', async () => {
    const { lines, log } = captured();
    const refusals = new RefusalLog(log, { intervalMs: 50 });
    refusals.admit('404 NOT_FOUND (unmatched)');
    refusals.admit('404 NOT_FOUND (unmatched)');
    while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines[0]).toMatchObject({ message: 'refusals not logged', total: 1 });
  });
});

describe('refused requests in the app log', () => {
  it('write one line per kind per interval instead of one per request, answers unchanged', async () => {
    const app = await startFakeApp({ extra: { refusalLogIntervalMs: 60_000 } });
    try {
      const statuses = [];
      for (let i = 0; i < 40; i++) statuses.push((await call(`${app.url}/no/such/${i}`)).status);
      statuses.push((await call(`${app.url}/api/search`)).status);
      statuses.push((await call(`${app.url}/healthz`)).status, (await call(`${app.url}/healthz`)).status);
      expect(statuses).toEqual([...Array<number>(40).fill(404), 400, 200, 200]);
      const lines = app.world.requests.map((line) => JSON.parse(line) as { status: number; route: string });
      // One 404, one 400, and every answer.
      expect(lines.map(({ status, route }) => `${status} ${route}`)).toEqual(['404 (unmatched)', '400 /api/search', '200 /healthz', '200 /healthz']);
    } finally {
      await app.close();
    }
  });
});
