import type KoaRouter from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import { MethodNotAllowedError, NotFoundError } from './errors.js';
import { requireCjs } from '../require-cjs.js';

const Router = requireCjs('@koa/router') as typeof KoaRouter;

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
  /** Open without a key when API keys are set (the page, its files, the health checks). */
  public?: boolean;
  /** The operator's: with OPERATOR_API_KEYS set, only those keys open it. */
  operator?: boolean;
}

/**
 * Path patterns (`/api/search`, or with a parameter `/api/documents/:source`, read as `ctx.params`)
 * to their routes. Matching is exact in case and trailing slash; the query string is aside.
 */
export type RouteTable = Record<string, Route>;

/**
 * The methods @koa/router answers for; a method outside them on a known path is a 405 like any
 * other. OPTIONS is left out on purpose: the API serves no browser preflight, and the router would
 * otherwise answer it with an empty 200.
 */
const ROUTED_METHODS = ['HEAD', 'GET', 'PUT', 'PATCH', 'POST', 'DELETE'];

/** The label for a request no route answered (metrics and logs never carry the raw path as a label). */
export const UNMATCHED_ROUTE = '(unmatched)';

/** The table on @koa/router: the middleware that dispatches, and lookups by path for what runs before it. */
export interface Routing {
  /** Dispatch; 404 for a path no route matches, 405 with `Allow` for a method the path lacks. */
  middleware: Middleware;
  /** The pattern of the route whose path matches `path` (whatever the method), or undefined. */
  patternOf(path: string): string | undefined;
  /** The route whose path matches `path`, for admission before dispatch. */
  routeAt(path: string): Route | undefined;
  /** The label of a request: its route's pattern, or `UNMATCHED_ROUTE`. */
  routeOf(ctx: Context): string;
}

/**
 * Register the table on a strict, case-sensitive @koa/router: its `allowedMethods()` decides 405
 * (with `Allow`) and an unmatched path stays a 404; both are then thrown as our ApiErrors so every
 * refusal has the one error body.
 */
export function createRouting(routes: RouteTable): Routing {
  const table = new Router({ strict: true, sensitive: true, methods: ROUTED_METHODS });
  for (const [path, route] of Object.entries(routes)) {
    for (const [method, handler] of Object.entries(route.methods)) table.register(path, [method], (ctx) => handler(ctx));
  }
  // @koa/router types its middleware over its own context, which Koa's becomes once it has run.
  const dispatch = table.routes() as unknown as Middleware;
  const allowedMethods = table.allowedMethods() as unknown as Middleware;
  const patternOf = (path: string) => {
    const pattern = table.match(path, 'GET').path.find((layer) => layer.methods.length > 0)?.path;
    return typeof pattern === 'string' ? pattern : undefined;
  };
  return {
    // As `app.use(asApiErrors).use(routes()).use(allowedMethods())` would chain them.
    middleware: (ctx, next) => asApiErrors(ctx, () => dispatch(ctx, () => allowedMethods(ctx, next))),
    patternOf,
    routeAt: (path) => {
      const pattern = patternOf(path);
      return pattern === undefined ? undefined : routes[pattern];
    },
    routeOf: (ctx) => {
      // Set by @koa/router when a handler ran; a request refused before dispatch (admission) or for
      // its method is labelled by matching its path.
      const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      return typeof matched === 'string' ? matched : (patternOf(ctx.path) ?? UNMATCHED_ROUTE);
    },
  };
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
