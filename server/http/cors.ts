import type koaCors from '@koa/cors';
import type { Context, Middleware } from 'koa';
import { requireCjs } from '../require-cjs.js';

/** What a page on an allowed origin may send and read. */
const ALLOWED_HEADERS = ['Content-Type', 'Authorization', 'Accept', 'X-Request-Id'];
const EXPOSED_HEADERS = ['Retry-After', 'RateLimit', 'RateLimit-Policy', 'X-Request-Id'];
/** How long a browser may keep a preflight's answer (10 min: Chromium's own cap is 2 h, Firefox's 24 h). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS for the origins in `CORS_ORIGINS`, with @koa/cors; none configured, no CORS header is ever
 * sent and a preflight is a 405 like any OPTIONS. A request from an origin not on the list gets no
 * `Access-Control-Allow-Origin`, so the browser keeps the answer from the page; its preflight gets
 * no allow headers either. No credentials (cookies): the API authenticates with a bearer key.
 */
export function corsFor(origins: readonly string[]): Middleware | undefined {
  if (origins.length === 0) return undefined;
  const allowed = new Set(origins);
  // Loaded only when CORS is on: most deployments serve no other origin.
  const cors = requireCjs('@koa/cors') as typeof koaCors;
  return cors({
    // Returning '' makes @koa/cors pass the request on untouched.
    origin: (ctx: Context) => (allowed.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
    allowMethods: ['GET', 'HEAD', 'POST'],
    allowHeaders: ALLOWED_HEADERS,
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    credentials: false,
  });
}
