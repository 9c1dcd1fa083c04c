import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { call, post } from '../../helpers/http-call.js';
import { startFakeApp, type FakeApp } from '../../helpers/fake-app.js';

const NOT_FOUND_HINT = 'Try the page at GET /, POST /api/ask, GET /api/search, POST /v1/chat/completions, GET /healthz, GET /readyz or GET /api/memory';

describe('requests the app refuses, through createApp over fakes', () => {
  let fake: FakeApp;
  const get = (path: string, init: RequestInit = {}) => call(`${fake.url}${path}`, init);
  const ask = (body: unknown, contentType?: string) => post(`${fake.url}/api/ask`, body, contentType);

  beforeAll(async () => {
    fake = await startFakeApp();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  describe('routing', () => {
    it.each(['GET', 'POST', 'DELETE'])('answers an unknown path with a 404 naming the routes (%s)', async (method) => {
      const res = await get('/api/nothing', { method });
      expect(res.status).toBe(404);
      expect(res.text).toBe(JSON.stringify({ error: { code: 'NOT_FOUND', message: `No route for ${method} /api/nothing. ${NOT_FOUND_HINT}` } }));
      expect(res.headers.get('allow')).toBeNull();
    });

    it('echoes at most 100 characters of a long unknown path, and marks every response nosniff and no-store', async () => {
      const long = `/${'x'.repeat(15_000)}`;
      const res = await get(long);
      expect(res.status).toBe(404);
      const message = (res.body as { error: { message: string } }).error.message;
      expect(message).toContain(`No route for GET ${long.slice(0, 100)}…. `);
      expect(message.length).toBeLessThan(400);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const health = await get('/healthz');
      expect(health.headers.get('x-content-type-options')).toBe('nosniff');
      expect(health.headers.get('cache-control')).toBe('no-store');
    });

    it.each([
      ['GET', '/api/ask', 'POST', 'GET is not allowed on /api/ask; use POST'],
      ['PUT', '/api/ask', 'POST', 'PUT is not allowed on /api/ask; use POST'],
      ['POST', '/api/search', 'GET, HEAD', 'POST is not allowed on /api/search; use GET or HEAD'],
      ['POST', '/healthz', 'GET, HEAD', 'POST is not allowed on /healthz; use GET or HEAD'],
      ['DELETE', '/', 'GET, HEAD', 'DELETE is not allowed on /; use GET or HEAD'],
      ['OPTIONS', '/readyz', 'GET, HEAD', 'OPTIONS is not allowed on /readyz; use GET or HEAD'],
    ])('answers %s %s with a 405 and Allow: %s', async (method, path, allow, message) => {
      const res = await get(path, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.body).toEqual({ error: { code: 'METHOD_NOT_ALLOWED', message } });
      expect(fake.world.logs).toEqual([]);
    });

    it('serves HEAD as GET without a body', async () => {
      for (const path of ['/', '/healthz', '/readyz', '/api/memory', '/api/search?q=pto']) {
        const res = await get(path, { method: 'HEAD' });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0);
        expect(res.text).toBe('');
      }
      expect(fake.world.searches).toEqual([{ query: 'pto', topK: 5 }]);
      const notAllowed = await get('/api/ask', { method: 'HEAD' });
      expect(notAllowed.status).toBe(405);
      expect(notAllowed.headers.get('allow')).toBe('POST');
      expect((await get('/api/nothing', { method: 'HEAD' })).status).toBe(404);
    });

    it('matches the path exactly, the query string aside', async () => {
      expect((await get('/healthz?verbose=1')).status).toBe(200);
      expect((await get('/healthz/')).status).toBe(404);
    });
  });

  describe('request bodies', () => {
    it('needs a body', async () => {
      const res = await call(`${fake.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { code: 'MISSING_BODY', message: 'The request needs a JSON body, for example {"question": "How many vacation days do I get?"}' } });
    });

    it('needs JSON', async () => {
      const text = await ask('question=pto', 'text/plain');
      expect(text.status).toBe(415);
      expect(text.body).toEqual({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The request body must be JSON (Content-Type: application/json), got "text/plain"' } });
      const form = await ask('question=pto', 'application/x-www-form-urlencoded');
      expect(form.body).toMatchObject({ error: { message: 'The request body must be JSON (Content-Type: application/json), got "application/x-www-form-urlencoded"' } });
      expect((await ask({ question: 'How many vacation days do I get each year?' }, 'application/json; charset=utf-8')).status).toBe(200);
    });

    it('refuses malformed JSON, saying where it broke', async () => {
      const res = await ask('{"question": ');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 'INVALID_JSON', message: expect.stringMatching(/^The request body is not valid JSON: .+/) } });
      expect(fake.world.searches).toEqual([]);
    });

    it('refuses a body over 16 KiB (the longest question, escaped, and room to spare) by its Content-Length, and closes the connection', async () => {
      const res = await ask({ question: 'x'.repeat(20_000) });
      expect(res.status).toBe(413);
      expect(res.headers.get('connection')).toBe('close');
      expect(res.body).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than 16384 bytes' } });
      expect(fake.world.logs).toEqual([]);
    });

    it('refuses a chunked body once it passes the limit', async () => {
      const chunk = new TextEncoder().encode(`{"question": "${'x'.repeat(70_000)}"}`);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(chunk);
          controller.close();
        },
      });
      const res = await call(`${fake.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
      expect(res.status).toBe(413);
      expect(res.headers.get('connection')).toBe('close');
      expect(res.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    });
  });

  describe('validation', () => {
    it.each([
      ['no question', { topK: 3 }, /question must be a string/],
      ['an empty question', { question: '   ' }, /must not be empty/],
      ['topK 0', { question: 'pto', topK: 0 }, /topK must be an integer from 1 to 20/],
      ['an unknown field', { question: 'pto', top_k: 3 }, /Unknown field "top_k"/],
      ['a bad filter', { question: 'pto', filter: 'leave/' }, /filter must be an object/],
      ['an array body', ['pto'], /JSON object/],
    ])('rejects %s with a 400 that says what is wrong', async (_what, payload, message) => {
      const res = await ask(payload);
      expect(res.status).toBe(400);
      expect(Object.keys(res.body as object)).toEqual(['error']);
      expect(res.body).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.stringMatching(message) } });
    });

    it.each([
      ['a question that is not a string', { question: 42 }, 'question must be a string, got number'],
      ['a question too long', { question: 'x'.repeat(2001) }, 'question must be at most 2000 characters, got 2001'],
      ['topK above the maximum', { question: 'pto', topK: 21 }, 'topK must be an integer from 1 to 20, got 21'],
      ['a filter field it does not know', { question: 'pto', filter: { path: 'leave/' } }, 'filter has unknown field "path"; the only one is "source"'],
      ['a filter source that is not a string', { question: 'pto', filter: { source: 3 } }, 'filter.source must be a string (a path prefix such as "leave/") of at most 500 characters'],
    ])('rejects an ask with %s, exactly', async (_what, payload, message) => {
      expect(await ask(payload)).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST', message } } });
    });

    it.each([
      ['no q', '', 'q must be a string, got nothing'],
      ['an empty q', '?q=%20', 'q must not be empty'],
      ['k 0', '?q=pto&k=0', 'k must be an integer from 1 to 20, got 0'],
      ['k not a number', '?q=pto&k=two', 'k must be an integer from 1 to 20, got "two"'],
      ['q twice', '?q=a&q=b', 'q must be given once'],
      ['a source too long', `?q=pto&source=${'s'.repeat(501)}`, 'source must be a path prefix (such as "leave/") of at most 500 characters'],
    ])('rejects a search with %s, exactly', async (_what, query, message) => {
      expect(await get(`/api/search${query}`)).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST', message } } });
      expect(fake.world.searches).toEqual([]);
    });
  });
});
