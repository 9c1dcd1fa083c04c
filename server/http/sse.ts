import type { Context } from 'koa';
import { PassThrough, pipeline } from 'node:stream';
import type { Logger } from '../logger.js';
import { ApiError } from './errors.js';

/** Heroku's router drops a request that sends no byte for 30 s, and an idle one after 55 s; a comment every 15 s keeps both away. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

export interface SseOptions {
  /** How often a `: ping` comment is sent while nothing else is. */
  heartbeatMs?: number;
  /** Where failures after the headers went out are logged. */
  log?: Logger;
}

/** The client closed the connection before the stream ended. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
  constructor(path: string) {
    super(`the client of ${path} closed the connection`);
  }
}

/**
 * Aborted when the client closes the connection before the response has been sent: work for it
 * (the LLM call) can stop. `req` emits 'close' once its body is read, so only the response's
 * 'close' before it finished means the client left.
 */
export function clientGoneSignal(ctx: Context): AbortSignal {
  const controller = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) controller.abort(new ClientGoneError(ctx.path));
  });
  return controller.signal;
}

/** A server-sent event stream on one response. */
export interface SseStream {
  /** One event: `event: <name>` (when given) and `data: <JSON or text>`. */
  send(data: unknown, event?: string): void;
  /** Aborted when the client goes away before `end()`: hand it to whatever works for this stream. */
  readonly signal: AbortSignal;
  end(): void;
}

/**
 * Answer with `text/event-stream` at once: the headers and a first comment go out before any work
 * (a proxy's first-byte limit is met however long retrieval takes), with the headers that keep
 * proxies from buffering or compressing it. `Cache-Control: no-transform` asks proxies not to
 * compress; the app has no compression of its own.
 */
export function openSse(ctx: Context, options: SseOptions = {}): SseStream {
  const body = new PassThrough();
  const signal = clientGoneSignal(ctx);
  ctx.status = 200;
  ctx.type = 'text/event-stream; charset=utf-8';
  ctx.set({ 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no', Connection: 'keep-alive' });
  // We send the stream ourselves rather than as `ctx.body`: Koa's respond() tests a body against
  // `Response` before it looks for a Node stream, and in Node 20 that first read of the global loads
  // all of undici (fetch) and compiles its parser (+5 to 10 MB of RSS, measured) in a server that may
  // never fetch. Piped once the middleware chain has unwound (it does not wait on anything after
  // the handler returns), as Koa would, so the headers set on the way out are sent too.
  ctx.respond = false;
  setImmediate(() => {
    pipeline(body, ctx.res, () => {
      // The client went away or the stream was ended early: the close handlers below clean up.
    });
  });
  ctx.req.socket.setNoDelay(true);
  const write = (text: string) => {
    if (!body.writableEnded && !body.destroyed) body.write(text);
  };
  const heartbeat = setInterval(() => write(': ping\n\n'), options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  ctx.res.once('close', () => clearInterval(heartbeat));
  write(': stream open\n\n');
  return {
    signal,
    send(data, event) {
      write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    },
    end() {
      clearInterval(heartbeat);
      body.end();
    },
  };
}

/** An error raised after the headers were sent, as the `error` event's data: our error shape, nothing internal. */
export function streamErrorBody(error: unknown, ctx: Context, log?: Logger): { error: { code: string; message: string } } {
  if (error instanceof ApiError) return { error: { code: error.code, message: error.message } };
  log?.error('unhandled error in a stream', { method: ctx.method, path: ctx.path, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  return { error: { code: 'INTERNAL_ERROR', message: 'The server failed to handle this request; the error is in its log' } };
}
