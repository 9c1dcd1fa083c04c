import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ABSTAIN_ANSWER, type AskResponse } from '../../answer/answerer.js';
import { ApiError, ServiceUnavailableError, TaskTimeoutError } from '../../server/http/errors.js';
import type { GateStats } from '../../server/worker-gate/worker-gate.js';
import { call, logLines, post } from '../helpers/http-call.js';
import { fakeHit, gateStats, LEAVE_HITS, searchResult, startFakeApp, type FakeApp } from '../helpers/fake-app.js';

describe('createApp over a fake gate and a real answerer without an LLM', () => {
  let fake: FakeApp;
  const get = (path: string, init: RequestInit = {}) => call(`${fake.url}${path}`, init);
  const ask = (body: unknown) => post(`${fake.url}/api/ask`, body);

  beforeAll(async () => {
    fake = await startFakeApp();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  describe('status routes', () => {
    it('describes itself at /', async () => {
      const res = await get('/');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.body).toEqual({
        name: 'rag512',
        version: '1.2.3',
        description: 'Answers questions about your documents, citing the exact passages.',
        endpoints: {
          'POST /api/ask': 'body {"question": string, "topK"?: number, "filter"?: {"source"?: string}}',
          'GET /api/search?q=...&k=...&source=...': 'the ranked passages only',
          'GET /healthz': 'the process is up',
          'GET /readyz': 'ready to answer, and why not',
          'GET /api/memory': 'memory of the process and its search worker',
        },
        try: `curl -s localhost:PORT/api/ask -H 'content-type: application/json' -d '{"question":"How many vacation days do I get?"}'`,
      });
    });

    it('says the process is up at /healthz', async () => {
      const res = await get('/healthz');
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/^\{"status":"ok","uptimeSeconds":\d+\}$/);
    });

    it('reports both threads and the governor at /api/memory', async () => {
      fake.world.stats = gateStats({ queued: 2, crashes: 1, retried: 1 });
      const res = await get('/api/memory');
      expect(res.status).toBe(200);
      expect(Object.keys(res.body as object)).toEqual(['rssMb', 'mode', 'governor', 'main', 'worker', 'modelAdmission']);
      expect(res.body).toMatchObject({
        mode: 'normal',
        governor: { mode: 'normal', rssMb: 180, limitMb: 512, cautiousAtMb: 358, degradedAtMb: 435, since: '2024-01-01T00:00:00.000Z', transitions: 0 },
        main: { heapUsedMb: expect.any(Number), heapTotalMb: expect.any(Number), externalMb: expect.any(Number), arrayBuffersMb: expect.any(Number) },
        worker: {
          state: 'running', heapUsedMb: 30, heapTotalMb: 40, recycles: 1, recyclesByReason: { tasks: 1, rss: 0, memory: 0, crash: 0, timeout: 0, requested: 0, model: 0, generation: 0 },
          tasksSinceRecycle: 5, recycleAfter: 500, tasksTotal: 17, crashes: 1, outOfMemory: 0, retried: 1, queued: 2, model: 'loaded',
        },
        modelAdmission: null,
      });
      expect((res.body as { rssMb: number }).rssMb).toBeGreaterThan(0);
    });

    it('reports normal mode and no governor when the app has none', async () => {
      const bare = await startFakeApp({ withMemory: false });
      try {
        bare.world.stats = gateStats({ lastWorkerMemory: null });
        const memory = await call(`${bare.url}/api/memory`);
        expect(memory.body).toMatchObject({ mode: 'normal', governor: null, worker: { heapUsedMb: null, heapTotalMb: null } });
        expect((await call(`${bare.url}/readyz`)).body).toMatchObject({ ready: true, memory: null });
      } finally {
        await bare.close();
      }
    });

    it('is ready at /readyz with the index and model loaded, and says what is loaded', async () => {
      const res = await get('/readyz');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ready: true,
        worker: 'running',
        // The absolute folder stays on the machine: /readyz is open to anyone.
        index: { loaded: true, dir: 'index', generation: 'g1', chunks: 42 },
        model: { configured: 'static', loaded: true },
        retrieval: 'hybrid',
        llm: { configured: false, model: null },
        memory: { mode: 'normal', rssMb: 180, limitMb: 512 },
      });
    });

    it.each([
      ['nothing loaded yet', { worker: 'not-started', lastState: null, model: 'none' }, 200, 'the index and model load on the first request (WARMUP=true loads them at boot)'],
      ['keyword search only', { lastState: { indexLoaded: true, modelLoaded: false, retrieval: 'lexical', degradedReason: 'no model files', chunks: 42, model: null, indexDir: '/index', generation: 'g1' } }, 200, 'keyword search only: no model files'],
      ['a worker that cannot start', { worker: 'unavailable', lastState: null, lastError: { code: 'WORKER_UNAVAILABLE', message: 'boom' } }, 503, 'the search worker cannot start: boom'],
      ['an index that failed to load', { lastState: null, lastError: { code: 'INDEX_MISSING', message: 'no index at /index' } }, 503, 'INDEX_MISSING: no index at index'],
    ] as [string, Partial<GateStats>, number, string][])('answers /readyz for %s', async (_what, stats, status, reason) => {
      fake.world.stats = gateStats(stats);
      const res = await get('/readyz');
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ ready: status === 200, reason });
    });

    it('names a PostgreSQL store at /readyz by its database only: no host, user or password, in the body or the reason', async () => {
      const url = 'postgres://rag:s3cret@db.internal.example:5432/handbook';
      const pg = await startFakeApp({ extra: { about: { version: '1.2.3', indexDir: url, embeddingModel: 'static', llmModel: null } } });
      try {
        pg.world.stats = gateStats({ lastState: null, lastError: { code: 'DATABASE_UNAVAILABLE', message: 'the database at postgres://rag:***@db.internal.example:5432/handbook cannot be reached' } });
        const res = await call(`${pg.url}/readyz`);
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ index: { dir: 'postgres://…/handbook' }, reason: 'DATABASE_UNAVAILABLE: the database at postgres://…/handbook cannot be reached' });
        expect(JSON.stringify(res.body)).not.toMatch(/db\.internal|s3cret|rag:/);
      } finally {
        await pg.close();
      }
    });

    it('is not ready while memory is degraded or the server shuts down', async () => {
      fake.world.memory.mode = 'degraded';
      expect(await get('/readyz')).toMatchObject({ status: 503, body: { ready: false, reason: 'memory is degraded (180 of 512 MB): questions are refused until it recovers', memory: { mode: 'degraded' } } });
      fake.world.shuttingDown = true;
      expect(await get('/readyz')).toMatchObject({ status: 503, body: { ready: false, reason: 'the server is shutting down' } });
    });
  });

  describe('POST /api/ask', () => {
    it('answers extractively from the passages, with checked citations, when no LLM is configured', async () => {
      const res = await ask({ question: 'How many vacation days do I get each year?' });
      expect(res.status).toBe(200);
      const body = res.body as AskResponse;
      expect(Object.keys(body)).toEqual(['answer', 'citations', 'mode', 'retrieval', 'memoryMode', 'notices', 'relevance', 'timings']);
      expect(body).toMatchObject({ mode: 'extractive', retrieval: 'hybrid', memoryMode: 'normal', notices: ['No language model is configured (set LLM_BASE_URL); this answer quotes the passages that best match the question.'] });
      expect(body.answer).toContain('25 vacation days each year');
      // Every [n] in the answer names a citation, and the citations are numbered 1..k.
      const used = [...body.answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
      expect(used.length).toBeGreaterThan(0);
      expect(Math.max(...used)).toBeLessThanOrEqual(body.citations.length);
      expect(body.citations.map((c) => c.n)).toEqual(body.citations.map((_c, i) => i + 1));
      expect(body.citations[0]).toEqual({ n: 1, id: 'pto#1', source: 'leave/pto.md', title: 'Paid time off', heading: 'Leave › Accrual', start: 100, end: 100 + LEAVE_HITS[0]!.text.length, snippet: LEAVE_HITS[0]!.text, score: 0.812346 });
      expect(body.timings).toMatchObject({ queueMs: 3, embedMs: 1.3, searchMs: 2.5, generateMs: expect.any(Number), totalMs: expect.any(Number) });
      expect(fake.world.searches).toEqual([{ query: 'How many vacation days do I get each year?', topK: 5 }]);
    });

    it('abstains without citations when the passages do not cover the question', async () => {
      const res = await ask({ question: 'What is the capital of Australia?', topK: 3, filter: { source: 'leave/' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ answer: ABSTAIN_ANSWER, mode: 'abstain', citations: [], notices: [] });
      expect(fake.world.searches).toEqual([{ query: 'What is the capital of Australia?', topK: 3, filter: { source: 'leave/' } }]);
    });

    it('says when the passages were found by keyword search alone', async () => {
      fake.world.search = async () => searchResult(LEAVE_HITS, { retrieval: 'lexical', degradedReason: 'model held back' });
      const res = await ask({ question: 'How many vacation days do I get each year?' });
      expect(res.body).toMatchObject({ mode: 'extractive', retrieval: 'lexical' });
      expect((res.body as AskResponse).notices[0]).toBe('Semantic search is unavailable (model held back); passages were found by keyword search alone.');
    });
  });

  describe('GET /api/search', () => {
    it('returns the ranked passages with their heading and trail, byte for byte', async () => {
      const res = await get('/api/search?q=vacation%20days&k=2&source=leave/');
      expect(res.status).toBe(200);
      const [first, second] = LEAVE_HITS;
      expect(res.text).toBe(JSON.stringify({
        results: [
          { id: 'pto#1', source: 'leave/pto.md', title: 'Paid time off', heading: 'Leave › Accrual', trail: 'Paid time off › Leave › Accrual', start: 100, end: first!.end, text: first!.text, score: 0.8123456789 },
          { id: 'pto#2', source: 'leave/carry-over.md', title: 'Carry-over', heading: '', trail: 'Carry-over', start: 400, end: second!.end, text: second!.text, score: 0.61 },
        ],
        retrieval: 'hybrid',
        timings: { queueMs: 3, embedMs: 1.25, searchMs: 2.5 },
      }));
      expect(fake.world.searches).toEqual([{ query: 'vacation days', topK: 2, filter: { source: 'leave/' } }]);
    });

    it('says when the search was by keyword only, and calls a vector-only search hybrid', async () => {
      fake.world.search = async () => searchResult([], { retrieval: 'lexical', degradedReason: 'no model files' });
      expect((await get('/api/search?q=pto')).body).toEqual({ results: [], retrieval: 'lexical', notice: 'keyword search only: no model files', timings: { queueMs: 3, embedMs: 1.25, searchMs: 2.5 } });
      fake.world.search = async () => searchResult([fakeHit('a', 'text', { headings: ['Paid time off', 'Accrual'] })], { retrieval: 'vector' });
      expect((await get('/api/search?q=pto')).body).toMatchObject({ results: [{ heading: 'Paid time off › Accrual', trail: 'Paid time off › Accrual' }], retrieval: 'hybrid' });
      expect(fake.world.searches).toEqual([{ query: 'pto', topK: 5 }, { query: 'pto', topK: 5 }]);
    });
  });

  describe('failures from the gate', () => {
    it('answers an ApiError with its status, code, message and Retry-After, and logs a 5xx as a warning', async () => {
      fake.world.search = async () => {
        throw new ServiceUnavailableError('QUEUE_FULL', 'The search queue is full (8 waiting); retry in a moment', 2.2);
      };
      for (const res of [await get('/api/search?q=pto'), await ask({ question: 'pto' })]) {
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('3');
        expect(res.text).toBe('{"error":{"code":"QUEUE_FULL","message":"The search queue is full (8 waiting); retry in a moment"}}');
      }
      // The line keeps its own message ('request failed'); the error's is a field, next to the request id.
      expect(logLines(fake.world.logs)).toEqual([
        '{"level":"warn","requestId":"*","method":"GET","path":"/api/search","status":503,"code":"QUEUE_FULL","error":"The search queue is full (8 waiting); retry in a moment","message":"request failed"}',
        '{"level":"warn","requestId":"*","method":"POST","path":"/api/ask","status":503,"code":"QUEUE_FULL","error":"The search queue is full (8 waiting); retry in a moment","message":"request failed"}',
      ]);
    });

    it('answers a timeout with 504 and Retry-After 1, and an ApiError with its own headers', async () => {
      fake.world.search = async () => {
        throw new TaskTimeoutError('search', 5000);
      };
      const timedOut = await get('/api/search?q=pto');
      expect(timedOut.status).toBe(504);
      expect(timedOut.headers.get('retry-after')).toBe('1');
      expect(timedOut.body).toEqual({ error: { code: 'TASK_TIMEOUT', message: 'The search task did not finish within 5000 ms (waiting in the queue included)' } });
      fake.world.search = async () => {
        throw new ApiError(409, 'INDEX_SWAPPING', 'The index is being replaced', { headers: { 'X-Index-Generation': 'g2' } });
      };
      const conflict = await ask({ question: 'pto' });
      expect(conflict.status).toBe(409);
      expect(conflict.headers.get('x-index-generation')).toBe('g2');
      expect(conflict.headers.get('retry-after')).toBeNull();
      expect(conflict.body).toEqual({ error: { code: 'INDEX_SWAPPING', message: 'The index is being replaced' } });
      // Below 500 the client is at fault: nothing is logged.
      expect(logLines(fake.world.logs)).toEqual(['{"level":"warn","requestId":"*","method":"GET","path":"/api/search","status":504,"code":"TASK_TIMEOUT","error":"The search task did not finish within 5000 ms (waiting in the queue included)","message":"request failed"}']);
    });

    it('answers any other error with a 500 that reveals nothing, and logs its stack', async () => {
      fake.world.search = async () => {
        throw new Error('secret detail: /srv/index/chunks.jsonl is corrupt');
      };
      for (const res of [await get('/api/search?q=pto'), await ask({ question: 'pto' })]) {
        expect(res.status).toBe(500);
        expect(res.headers.get('retry-after')).toBeNull();
        expect(res.text).toBe('{"error":{"code":"INTERNAL_ERROR","message":"The server failed to handle this request; the error is in its log"}}');
      }
      const lines = fake.world.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.map(({ level, message, method, path }) => ({ level, message, method, path }))).toEqual([
        { level: 'error', message: 'unhandled error', method: 'GET', path: '/api/search' },
        { level: 'error', message: 'unhandled error', method: 'POST', path: '/api/ask' },
      ]);
      expect(lines[0]!.error).toMatch(/^Error: secret detail: \/srv\/index\/chunks\.jsonl is corrupt\n\s+at /);
      expect(Object.keys(lines[0]!)).toEqual(['level', 'time', 'requestId', 'method', 'path', 'error', 'message']);
    });

    it('logs a thrown non-Error as its string', async () => {
      fake.world.search = () => Promise.reject('just a string');
      expect((await get('/api/search?q=pto')).status).toBe(500);
      expect(logLines(fake.world.logs)).toEqual(['{"level":"error","requestId":"*","method":"GET","path":"/api/search","error":"just a string","message":"unhandled error"}']);
    });
  });

  describe('admission', () => {
    const shed = { error: { code: 'SHUTTING_DOWN', message: 'The server is shutting down; retry on another instance' } };

    it('refuses everything but the always-on routes while shutting down, and closes every connection', async () => {
      fake.world.shuttingDown = true;
      const refused = [await get('/'), await ask({ question: 'pto' }), await get('/api/search?q=pto'), await get('/api/nothing'), await get('/api/ask')];
      for (const res of refused) {
        expect(res.status).toBe(503);
        expect(res.body).toEqual(shed);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(res.headers.get('connection')).toBe('close');
      }
      expect(fake.world.searches).toEqual([]);
      for (const path of ['/healthz', '/api/memory']) {
        const res = await get(path);
        expect(res.status).toBe(200);
        expect(res.headers.get('connection')).toBe('close');
      }
      // Always-on routes are still routed: a wrong method is a 405, not a 503.
      const wrong = await post(`${fake.url}/healthz`, {});
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('connection')).toBe('close');
      expect(logLines(fake.world.logs)).toHaveLength(refused.length);
      expect(logLines(fake.world.logs)[0]).toBe('{"level":"warn","requestId":"*","method":"GET","path":"/","status":503,"code":"SHUTTING_DOWN","error":"The server is shutting down; retry on another instance","message":"request failed"}');
    });

    it('keeps connections open when not shutting down', async () => {
      expect((await get('/healthz')).headers.get('connection')).toBe('keep-alive');
    });

    it('sheds /api/ask and /api/search only in degraded memory mode, whatever the method', async () => {
      fake.world.memory.mode = 'degraded';
      const degraded = { error: { code: 'MEMORY_DEGRADED', message: 'The server is near its memory limit (180 of 512 MB) and is shedding work until memory comes back down' } };
      for (const res of [await ask({ question: 'pto' }), await get('/api/search?q=pto'), await get('/api/ask'), await post(`${fake.url}/api/search`, {})]) {
        expect(res.status).toBe(503);
        expect(res.body).toEqual(degraded);
        expect(res.headers.get('retry-after')).toBe('10');
        expect(res.headers.get('connection')).toBe('keep-alive');
      }
      expect(fake.world.searches).toEqual([]);
      for (const path of ['/', '/healthz', '/api/memory']) expect((await get(path)).status).toBe(200);
      expect((await get('/api/nothing')).status).toBe(404);
    });

    it('answers in cautious mode', async () => {
      fake.world.memory.mode = 'cautious';
      expect((await ask({ question: 'How many vacation days do I get each year?' })).status).toBe(200);
      expect((await get('/api/search?q=pto')).status).toBe(200);
    });
  });
});
