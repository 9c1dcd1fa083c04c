import type { Context } from 'koa';
import type { Handler } from '../http/router.js';

/**
 * A handler whose module is imported on its route's first request, not at boot: the question
 * routes bring zod, the answerer's parts and the SSE writer (about 5 MB of RSS an idle server
 * does not need, README "Memory"). A failed import is retried on the next request.
 */
export function lazyHandler(load: () => Promise<Handler>): Handler {
  let handler: Promise<Handler> | undefined;
  return async (ctx: Context) => {
    handler ??= load().catch((error: unknown) => {
      handler = undefined;
      throw error;
    });
    await (await handler)(ctx);
  };
}
