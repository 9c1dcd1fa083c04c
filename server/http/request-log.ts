import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from '../logger.js';
import { isRefusal, type RefusalLog } from './refusal-log.js';
import { UNMATCHED_ROUTE, type Routing } from './router.js';

/**
 * A request id a client or proxy may send (Heroku's router sends one): base64 characters, dashes,
 * dots, colons and underscores, as long as Heroku allows. Anything else is replaced, so a log line
 * cannot be forged or bloated through the header.
 */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9+/=._:-]{1,200}$/;

/** How much of an unmatched path a log line keeps. */
const LOGGED_PATH_CHARS = 200;

/** One finished request, as the log line and the metrics see it. */
export interface RequestDone {
  method: string;
  /** The route pattern, or `(unmatched)`: never the raw path, whose values are unbounded. */
  route: string;
  status: number;
  seconds: number;
}

export interface RequestLogDeps {
  log: Logger;
  routing: Pick<Routing, 'routeOf'>;
  /** Told of every request once it is answered (the metrics). */
  onDone?: (request: RequestDone) => void;
  /** Samples the lines of refused requests; without it every request is logged. */
  refusals?: RefusalLog | undefined;
}

/** The `X-Request-Id` to use: the client's if it is sane, else a new UUID. */
export function requestIdOf(header: string | undefined): string {
  return header !== undefined && ACCEPTED_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * The outermost middleware: gives every request an id (in `ctx.state.requestId` and the response's
 * `X-Request-Id`), then writes one log line when it is answered: method, route, status, duration.
 */
export function requestLog({ log, routing, onDone, refusals }: RequestLogDeps) {
  return async function logRequest(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    const requestId = requestIdOf(ctx.get('X-Request-Id') || undefined);
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const route = routing.routeOf(ctx);
      const done: RequestDone = { method: ctx.method, route, status: ctx.status, seconds };
      const code = ctx.state.errorCode as string | undefined;
      if (!refusals || !isRefusal(done.status) || refusals.admit(`${done.status} ${code ?? '-'} ${route}`)) log.info('request', {
        requestId,
        method: done.method,
        route,
        ...(route === UNMATCHED_ROUTE ? { path: ctx.path.slice(0, LOGGED_PATH_CHARS) } : {}),
        status: done.status,
        ms: Math.round(seconds * 10_000) / 10,
      });
      onDone?.(done);
    }
  };
}
