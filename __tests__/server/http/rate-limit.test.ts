import { describe, expect, it } from '@jest/globals';
import type { Context } from 'koa';
import { RateLimitedError, rateLimit } from '../../../server/http/rate-limit.js';

const routing = { routeAt: (path: string) => (path === '/api/search' ? { methods: {}, expensive: true } : undefined) };

function context(ip: string, path = '/api/search') {
  const headers: Record<string, string> = {};
  const ctx = { path, ip, state: {}, req: { socket: { remoteAddress: ip } }, set: (values: Record<string, string>) => Object.assign(headers, values) };
  return { ctx: ctx as unknown as Context, headers };
}

describe('rateLimit', () => {
  it('keeps at most `slots` counters: with one slot, every client shares one budget (memory bounded whatever the number of clients)', async () => {
    const limit = rateLimit({ perMinute: 2, slots: 1 }, routing);
    const next = async () => undefined;
    await limit(context('10.0.0.1').ctx, next);
    await limit(context('10.0.0.2').ctx, next);
    await expect(limit(context('10.0.0.3').ctx, next)).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('gives each client its own budget, and leaves cheap routes and a limit of 0 alone', async () => {
    // 2^32 slots: two clients share one only if 32 bits of their keyed hashes collide.
    const limit = rateLimit({ perMinute: 1, slots: 2 ** 32 }, routing);
    const next = async () => undefined;
    const first = context('10.0.0.1');
    await limit(first.ctx, next);
    expect(first.headers).toEqual({ 'RateLimit-Policy': '"per-minute";q=1;w=60', RateLimit: expect.stringMatching(/^"per-minute";r=0;t=(60|59)$/) });
    await limit(context('10.0.0.2').ctx, next);
    await expect(limit(context('10.0.0.1').ctx, next)).rejects.toMatchObject({ status: 429, code: 'RATE_LIMITED', headers: { RateLimit: expect.stringMatching(/^"per-minute";r=0;t=\d+$/) } });
    const cheap = context('10.0.0.1', '/healthz');
    await limit(cheap.ctx, next);
    expect(cheap.headers).toEqual({});
    const off = rateLimit({ perMinute: 0 }, routing);
    for (let i = 0; i < 5; i++) await off(context('10.0.0.1').ctx, next);
  });
});
