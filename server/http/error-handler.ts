import type { Context, Next } from 'koa';
import type { ErrorBody } from './api-types.js';
import { ApiError } from './errors.js';
import type { Logger } from '../logger.js';
import { wireError } from '../routes/openai-errors.js';
import type { RefusalLog } from './refusal-log.js';
import { sendJson } from './json-body.js';

/** The OpenAI-compatible routes' prefix. */
function isOpenAiPath(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/');
}

/** The largest unread request body Node may skip to keep the connection alive. */
const UNREAD_BODY_KEPT_BYTES = 64 * 1024;

/**
 * The one place errors become responses. ApiErrors keep their status, code and message; anything
 * else is a bug: logged with its stack, answered as a 500 that reveals nothing internal. Its lines
 * carry the request id `request-log.ts` gave the request.
 */
export function errorHandler(log: Logger, refusals?: RefusalLog) {
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (error) {
      const known = error instanceof ApiError ? error : undefined;
      const status = known?.status ?? 500;
      const body: ErrorBody = {
        error: known ? { code: known.code, message: known.message } : { code: 'INTERNAL_ERROR', message: 'The server failed to handle this request; the error is in its log' },
      };
      const where = { requestId: ctx.state.requestId as string | undefined, method: ctx.method, path: ctx.path };
      if (known) ctx.state.errorCode = known.code;
      if (!known) log.error('unhandled error', { ...where, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      else if (status >= 500 && (status !== 503 || !refusals || refusals.admit(`failed ${status} ${known.code}`))) log.warn('request failed', { ...where, status, code: known.code, error: known.message });
      ctx.status = status;
      // OpenAI clients read errors in OpenAI's shape: /v1 refusals raised before the route (401, 404,
      // 405, 429, 503 at admission) as well as the route's own.
      sendJson(ctx, isOpenAiPath(ctx.path) ? wireError(known).body : body);
      if (known?.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(Math.max(1, Math.ceil(known.retryAfterSeconds))));
      if (known) ctx.set(known.headers);
      // A refused request whose large (or unsized) body was not read (404, 401, 415, 503 before
      // reading): close the connection after answering, or Node reads the whole body to reuse the
      // connection (500 MB in 2 s). A small body is cheaper to skip than a new connection.
      if (!ctx.req.complete && !(Number(ctx.get('content-length') || Number.NaN) <= UNREAD_BODY_KEPT_BYTES)) ctx.set('Connection', 'close');
    }
  };
}
