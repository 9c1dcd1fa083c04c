import { describe, expect, it } from '@jest/globals';
import type { Context } from 'koa';
import { admission } from '../../../server/http/admission.js';
import { ServiceUnavailableError } from '../../../server/http/errors.js';

const ROUTES: Record<string, { expensive?: boolean; alwaysOn?: boolean }> = { '/api/search': { expensive: true }, '/healthz': { alwaysOn: true } };
const routing = { routeAt: (path: string) => ROUTES[path] as never };

function context(path: string): Context {
  return { path, set: () => undefined } as unknown as Context;
}

describe('admission', () => {
  it('refuses an expensive request while the worker would refuse it, before anything downstream reads the body', async () => {
    const full = new ServiceUnavailableError('QUEUE_FULL', '64 requests are already waiting', 1);
    let refusals = 0;
    const admit = admission({ routing, isShuttingDown: () => false, workerRefusal: () => (refusals++, full) });
    let reached = false;
    await expect(admit(context('/api/search'), async () => void (reached = true))).rejects.toBe(full);
    expect(reached).toBe(false);
    // Cheap routes are not asked about, and get in.
    await admit(context('/healthz'), async () => void (reached = true));
    expect(reached).toBe(true);
    expect(refusals).toBe(1);
  });

  it('lets expensive requests in while the worker has room', async () => {
    const admit = admission({ routing, isShuttingDown: () => false, workerRefusal: () => undefined });
    let reached = false;
    await admit(context('/api/search'), async () => void (reached = true));
    expect(reached).toBe(true);
  });

  it('sends a refusal for a full queue only after SHED_DELAY_MS, so clients that retry at once slow down', async () => {
    const full = new ServiceUnavailableError('QUEUE_FULL', 'full', 1);
    const admit = admission({ routing, isShuttingDown: () => false, workerRefusal: () => full, shedDelayMs: 60 });
    const started = performance.now();
    await expect(admit(context('/api/search'), async () => undefined)).rejects.toBe(full);
    // A lower bound only: a busy machine can make it later, never sooner.
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });
});
