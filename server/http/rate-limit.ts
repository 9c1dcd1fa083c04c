import { createHmac, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Context, Next } from 'koa';
import type { RateLimiterMemory as MemoryLimiter, RateLimiterRes as LimiterRes } from 'rate-limiter-flexible';
import { clientOf } from './client-id.js';
import { ApiError } from './errors.js';
import type { Routing } from './router.js';

export interface RateLimitSettings {
  /** Expensive requests per client per minute; 0 turns the limit off. */
  perMinute: number;
  /**
   * How many counters exist at most: a client is counted in the slot its (keyed) hash picks, so
   * memory stays bounded however many addresses or keys come (16,384 slots all in use: 6.4 MB of
   * heap, measured, the same after 200,000 clients as after 400,000). Two clients share a budget
   * only when they share a slot: about 1 in `slots` per pair.
   */
  slots?: number;
}

// The package's index loads every store it supports (Redis, Mongo, SQL...): +9.3 MB RSS, measured,
// against +0.6 MB for the two modules used here.
const require = createRequire(import.meta.url);
const RateLimiterMemory = require('rate-limiter-flexible/lib/RateLimiterMemory.js') as typeof MemoryLimiter;
const RateLimiterRes = require('rate-limiter-flexible/lib/RateLimiterRes.js') as typeof LimiterRes;
type RateLimiterRes = LimiterRes;

/** The policy's name in the RateLimit headers. */
const POLICY = 'per-minute';
const WINDOW_SECONDS = 60;
const DEFAULT_SLOTS = 16_384;

/** 429: this client used its budget for the window. */
export class RateLimitedError extends ApiError {
  override name = 'RateLimitedError';
  constructor(perMinute: number, retryAfterSeconds: number, headers: Record<string, string>) {
    super(429, 'RATE_LIMITED', `Too many requests: at most ${perMinute} questions, searches and documents a minute per client; retry in ${retryAfterSeconds} s`, { retryAfterSeconds, headers });
  }
}

/**
 * A fixed-window rate limit per client (`client-id.ts`) on the expensive routes, with
 * rate-limiter-flexible's RateLimiterMemory. The cheap routes (the page, `/healthz`, `/readyz`,
 * `/metrics`, `/api/memory`, unknown paths) are exempt: they cost O(1), a platform's health check
 * must never be refused, and the connection cap bounds them.
 *
 * Every counted response says where the client stands, in the header format of
 * draft-ietf-httpapi-ratelimit-headers-10 (Sept 2025; the latest, -11 of May 2026, keeps it):
 * `RateLimit-Policy: "per-minute";q=60;w=60` and `RateLimit: "per-minute";r=<left>;t=<seconds to
 * the window's end>`; a refusal is a 429 with `Retry-After` too.
 */
export function rateLimit(settings: RateLimitSettings, routing: Pick<Routing, 'routeAt'>) {
  const { perMinute } = settings;
  const slots = settings.slots ?? DEFAULT_SLOTS;
  const limiter = new RateLimiterMemory({ points: perMinute, duration: WINDOW_SECONDS });
  // A per-process secret: nobody can pick an address or key to land in someone else's slot on purpose.
  const secret = randomBytes(16);
  const slotOf = (client: string) => createHmac('sha256', secret).update(client).digest().readUInt32BE(0) % slots;
  const policy = `"${POLICY}";q=${perMinute};w=${WINDOW_SECONDS}`;
  const state = (res: RateLimiterRes) => `"${POLICY}";r=${res.remainingPoints};t=${Math.max(0, Math.ceil(res.msBeforeNext / 1000))}`;

  return async function limitRate(ctx: Context, next: Next): Promise<void> {
    if (perMinute <= 0 || !routing.routeAt(ctx.path)?.expensive) return next();
    let res: RateLimiterRes;
    try {
      res = await limiter.consume(slotOf(clientOf(ctx)));
    } catch (refused) {
      if (!(refused instanceof RateLimiterRes)) throw refused;
      const retryAfter = Math.max(1, Math.ceil(refused.msBeforeNext / 1000));
      throw new RateLimitedError(perMinute, retryAfter, { 'RateLimit-Policy': policy, RateLimit: state(refused) });
    }
    ctx.set({ 'RateLimit-Policy': policy, RateLimit: state(res) });
    return next();
  };
}
