import type { Context, Next } from 'koa';
import type { ErrorBody } from './api-types.js';
import { ApiError } from './errors.js';
import type { Logger } from '../logger.js';

/**
 * The one place errors become responses. ApiErrors keep their status, code and message; anything
 * else is a bug: logged with its stack, answered as a 500 that reveals nothing internal. Its lines
 * carry the request id `request-log.ts` gave the request.
 */
export function errorHandler(log: Logger) {
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
      if (!known) log.error('unhandled error', { ...where, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      else if (status >= 500) log.warn('request failed', { ...where, status, code: known.code, error: known.message });
      ctx.status = status;
      ctx.body = body;
      if (known?.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(Math.max(1, Math.ceil(known.retryAfterSeconds))));
      if (known) ctx.set(known.headers);
    }
  };
}
