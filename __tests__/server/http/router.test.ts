import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { errorHandler } from '../../../server/http/error-handler.js';
import { createRouting, UNMATCHED_ROUTE, type RouteTable } from '../../../server/http/router.js';
import { silentLogger } from '../../../server/logger.js';
import { call } from '../../helpers/http-call.js';

/** @koa/router behind our error handler, over a small table, on a real port; `seen` records the route of each request. */
describe('the router (@koa/router over the route table)', () => {
  const seen: string[] = [];
  const routes: RouteTable = {
    '/': { methods: { GET: (ctx) => void (ctx.body = { at: 'root' }) } },
    '/items': { methods: { GET: (ctx) => void (ctx.body = { at: 'list' }), POST: (ctx) => void (ctx.body = { at: 'add' }) } },
    '/submit': { methods: { POST: (ctx) => void (ctx.body = { at: 'submit' }) } },
    '/items/:id': { methods: { GET: (ctx) => void (ctx.body = { at: 'item', id: (ctx as { params?: Record<string, string> }).params?.id }) }, expensive: true },
  };
  const routing = createRouting(routes);
  let server: Server;
  let url: string;
  const request = (path: string, method = 'GET') => call(`${url}${path}`, { method });

  beforeAll(async () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      await next();
      seen.push(routing.routeOf(ctx));
    });
    app.use(errorHandler(silentLogger));
    app.use(routing.middleware);
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('dispatches by path and method and labels the request with its pattern', async () => {
    seen.length = 0;
    expect((await request('/items')).body).toEqual({ at: 'list' });
    expect((await request('/items', 'POST')).body).toEqual({ at: 'add' });
    expect((await request('/?x=1')).body).toEqual({ at: 'root' });
    expect((await request('/items/a%20b')).body).toEqual({ at: 'item', id: 'a b' });
    expect(seen).toEqual(['/items', '/items', '/', '/items/:id']);
  });

  it('finds the route of a path before dispatch, parameters included (admission reads its flags)', () => {
    expect(routing.routeAt('/items/7')).toBe(routes['/items/:id']);
    expect(routing.routeAt('/submit')).toBe(routes['/submit']);
    expect(routing.routeAt('/submit/')).toBeUndefined();
    expect(routing.patternOf('/items/7')).toBe('/items/:id');
  });

  it.each([['/nothing'], ['/items/'], ['/ITEMS'], ['/items/1/2']])('answers %s with our 404 body: exact paths only', async (path) => {
    const res = await request(path);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringContaining(`No route for GET ${path}.`) } });
    expect(seen.at(-1)).toBe(UNMATCHED_ROUTE);
  });

  it.each([
    ['DELETE', '/items', 'GET, POST, HEAD', 'DELETE is not allowed on /items; use GET or POST or HEAD'],
    ['GET', '/submit', 'POST', 'GET is not allowed on /submit; use POST'],
    ['HEAD', '/submit', 'POST', undefined],
    ['OPTIONS', '/submit', 'POST', 'OPTIONS is not allowed on /submit; use POST'],
    ['PROPFIND', '/items', 'GET, POST, HEAD', 'PROPFIND is not allowed on /items; use GET or POST or HEAD'],
    ['POST', '/items/7', 'GET, HEAD', 'POST is not allowed on /items/7; use GET or HEAD'],
  ])('answers %s %s with a 405 from allowedMethods() and Allow: %s', async (method, path, allow, message) => {
    const res = await request(path, method);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
    if (message) expect(res.body).toEqual({ error: { code: 'METHOD_NOT_ALLOWED', message } });
    expect(seen.at(-1)).toBe(path === '/items/7' ? '/items/:id' : path);
  });

  it('answers a method the router does not know on an unknown path with a 404', async () => {
    expect((await request('/nothing', 'PROPFIND')).status).toBe(404);
  });
});
