import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { ApiError } from './errors.js';
import type { Routing } from './router.js';

/** Who may call what: keys for the API, and optionally a key of their own for the operator's routes. */
export interface ApiKeySettings {
  /** sha256 digests of the keys that open every route but the public ones; empty: no key needed. */
  keys: Buffer[];
  /** sha256 digests of the keys for `operator` routes (`/metrics`, `/api/memory`); empty: the API keys open them. */
  operatorKeys: Buffer[];
}

/**
 * Keys as the environment gives them, comma-separated: a key itself, or `sha256:<hex>` of it, so a
 * deploy's settings need not hold the key in clear. Returns their digests.
 */
export function parseKeys(value: string): Buffer[] {
  return value
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean)
    .map((key) => (/^sha256:[0-9a-f]{64}$/i.test(key) ? Buffer.from(key.slice(7), 'hex') : digest(key)));
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The digest of `presented` if it is one of `allowed` (every digest is compared, in constant time), else undefined. */
function matches(presented: string, allowed: Buffer[]): Buffer | undefined {
  const candidate = digest(presented);
  let found = false;
  for (const key of allowed) found = timingSafeEqual(candidate, key) || found;
  return found ? candidate : undefined;
}

class ForbiddenError extends ApiError {
  override name = 'ForbiddenError';
  constructor(message: string) {
    super(403, 'FORBIDDEN', message);
  }
}

const LOOPBACK = /^(?:127\.|::1$|::ffff:127\.)/;

/**
 * Without any key configured, the operator's routes (`/api/memory`, `/metrics`: the process's
 * internal state) answer only a client on the machine itself: a loopback peer that no proxy
 * forwarded. Anyone else gets 403 saying how to open them (set OPERATOR_API_KEYS or API_KEYS).
 */
export function operatorLoopbackOnly(routing: Pick<Routing, 'routeAt'>) {
  return async function requireLocal(ctx: Context, next: Next): Promise<void> {
    if (!routing.routeAt(ctx.path)?.operator) return next();
    const peer = ctx.req.socket.remoteAddress ?? '';
    if (!LOOPBACK.test(peer) || ctx.get('x-forwarded-for')) throw new ForbiddenError('This route shows the server\'s internal state: it answers only on the machine itself unless OPERATOR_API_KEYS (or API_KEYS) is set; then send Authorization: Bearer <key>');
    return next();
  };
}

class UnauthorizedError extends ApiError {
  override name = 'UnauthorizedError';
  constructor(message: string) {
    super(401, 'UNAUTHORIZED', message, { headers: { 'WWW-Authenticate': 'Bearer' } });
  }
}

/**
 * With keys set, every route but the public ones (the page, its files, `/healthz`, `/readyz`)
 * needs `Authorization: Bearer <key>`: 401 otherwise, naming no key. OpenAI clients send their
 * `apiKey` this way. Keys are compared as digests, in constant time, and never logged (the request
 * log redacts `authorization`).
 */
export function apiKeys(settings: ApiKeySettings, routing: Pick<Routing, 'routeAt'>) {
  return async function requireKey(ctx: Context, next: Next): Promise<void> {
    if (settings.keys.length === 0 && settings.operatorKeys.length === 0) return next();
    const route = routing.routeAt(ctx.path);
    if (route?.public) return next();
    const operator = Boolean(route?.operator) && settings.operatorKeys.length > 0;
    const allowed = operator ? settings.operatorKeys : settings.keys;
    if (allowed.length === 0) return next();
    const header = ctx.get('authorization');
    const presented = /^Bearer\s+(\S{1,512})$/i.exec(header)?.[1];
    if (!presented) throw new UnauthorizedError(`This ${operator ? 'route needs the operator key' : 'service needs an API key'}: send Authorization: Bearer <key>`);
    const matched = matches(presented, allowed);
    if (!matched) throw new UnauthorizedError('The key is not valid here');
    // Rate limits and the fair share count per key (never the key itself: a prefix of its digest).
    ctx.state.clientKey = `key:${matched.subarray(0, 8).toString('hex')}`;
    return next();
  };
}
