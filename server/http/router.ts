import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
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

/** Paths, matched exactly (case and trailing slash included, the query string aside), to their routes. */
export type RouteTable = Record<string, Route>;

/**
 * The methods @koa/router answers for; a method outside them on a known path is a 405 like any
 * other. OPTIONS is left out on purpose: the API serves no browser preflight, and the router would
 * otherwise answer it with an empty 200.
 */
const ROUTED_METHODS = ['HEAD', 'GET', 'PUT', 'PATCH', 'POST', 'DELETE'];

/** The label for a request no route answered (metrics and logs never carry the raw path as a label). */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * Dispatch by the table with @koa/router: its `allowedMethods()` decides 405 (with `Allow`) and an
 * unmatched path stays a 404; both are then thrown as our ApiErrors so every refusal has the one
 * error body.
 */
export function router(routes: RouteTable): Middleware {
  const table = new Router({ strict: true, sensitive: true, methods: ROUTED_METHODS });
  for (const [path, route] of Object.entries(routes)) {
    for (const [method, handler] of Object.entries(route.methods)) table.register(path, [method], (ctx) => handler(ctx));
  }
  // @koa/router types its middleware over its own context, which Koa's becomes once it has run.
  const dispatch = table.routes() as unknown as Middleware;
  const allowedMethods = table.allowedMethods() as unknown as Middleware;
  // As `app.use(asApiErrors).use(routes()).use(allowedMethods())` would chain them.
  return (ctx, next) => asApiErrors(ctx, () => dispatch(ctx, () => allowedMethods(ctx, next)));
}

/** The route a request was matched to: its pattern from the table, or `UNMATCHED_ROUTE`. */
export function routeOf(ctx: Context, routes: RouteTable): string {
  // Set by @koa/router when a handler ran; a request refused before routing (admission) or with a
  // wrong method is labelled by the table, whose paths are exact.
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === 'string') return matched;
  return Object.hasOwn(routes, ctx.path) ? ctx.path : UNMATCHED_ROUTE;
}

/** The router's own 404/405/501 answers, as the ApiErrors the error handler turns into our error body. */
async function asApiErrors(ctx: Context, next: Next): Promise<void> {
  await next();
  // A status other than these was set by a handler; these with a body were too.
  if (ctx.body !== undefined && ctx.body !== null) return;
  const allowed = allowedOf(ctx.response.headers.allow);
  if (ctx.status === 404 || (ctx.status === 501 && allowed.length === 0)) throw new NotFoundError(ctx.method, ctx.path);
  if (ctx.status === 405 || ctx.status === 501) throw new MethodNotAllowedError(ctx.method, ctx.path, allowed);
}

/** The router lists HEAD before GET; people read "GET or HEAD". */
function allowedOf(header: string | string[] | number | undefined): string[] {
  const methods = String(header ?? '').split(',').map((method) => method.trim()).filter(Boolean);
  return [...methods.filter((method) => method !== 'HEAD'), ...methods.filter((method) => method === 'HEAD')];
}
