import type { Context } from 'koa';
import { MethodNotAllowedError, NotFoundError } from './errors.js';

/** Answers one method at one path; errors are thrown and answered by the error handler. */
export type Handler = (ctx: Context) => Promise<void> | void;

/** What the app does at one path, and who is admitted to it (see `admission.ts`). */
export interface Route {
  /** Handlers by HTTP method. A path with GET answers HEAD with it (Koa drops the body). */
  methods: Record<string, Handler>;
  /** Still answered while the server drains for shutdown. */
  alwaysOn?: boolean;
  /** Refused in degraded memory mode. */
  expensive?: boolean;
}

/** Paths, matched exactly (the query string aside), to their routes. */
export type RouteTable = Record<string, Route>;

/** Dispatch by the table: 404 for a path it lacks, 405 with `Allow` for a method the path lacks. */
export function router(routes: RouteTable) {
  return async function dispatch(ctx: Context): Promise<void> {
    const route = routes[ctx.path];
    if (!route) throw new NotFoundError(ctx.method, ctx.path);
    const { methods } = route;
    const handler = methods[ctx.method] ?? (ctx.method === 'HEAD' ? methods.GET : undefined);
    if (!handler) throw new MethodNotAllowedError(ctx.method, ctx.path, methods.GET ? [...Object.keys(methods), 'HEAD'] : Object.keys(methods));
    await handler(ctx);
  };
}
