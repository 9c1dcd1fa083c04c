import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { loadConfig } from '../../server/config.js';
import { silentLogger } from '../../server/logger.js';
import { startService, type Service } from '../../server/service.js';
import { prebuild } from '../../indexing/prebuild.js';
import { completion, FakeLlm } from '../helpers/fake-llm.js';
import { SAMPLE_CORPUS, SHARED_MODELS, STATIC_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

const WORKER = path.resolve('dist/workers/worker.js');
const LLM_BOUND_MS = 1500;

interface AskBody {
  answer: string;
  citations: { n: number; id: string; source: string; title: string; heading: string; start: number; end: number; snippet: string; score: number }[];
  mode: string;
  retrieval: string;
  notices: string[];
  timings: Record<string, number>;
}

describe('the HTTP API over a real worker and a fake LLM on loopback', () => {
  const llm = new FakeLlm();
  let service: Service;
  let cleanup: () => Promise<void>;
  let tempRoot = '';

  const ask = async (body: unknown) => {
    const res = await fetch(`${service.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as AskBody & { error?: { code: string; message: string } } };
  };
  const get = async (pathname: string) => {
    const res = await fetch(`${service.url}${pathname}`);
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    tempRoot = dir;
    const indexDir = path.join(dir, 'index');
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
    await llm.start();
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      INDEX_DIR: indexDir,
      MODEL_DIR: SHARED_MODELS,
      EMBEDDING_MODEL: STATIC_MODEL.model,
      LLM_BASE_URL: llm.url,
      LLM_API_KEY: 'sk-test',
      LLM_MODEL: 'fake-model',
      LLM_TIMEOUT_MS: String(LLM_BOUND_MS),
      LLM_ATTEMPT_TIMEOUT_MS: '1000',
      LLM_RETRIES: '1',
      LLM_MAX_RETRY_AFTER_MS: '300',
      // Jest's own process is large; keep the RSS-triggered recycle out of this file's way.
      WORKER_RECYCLE_RSS_MB: '8000',
      MEMORY_LIMIT_MB: '100000',
    });
    service = await startService(config, { log: silentLogger, version: 'test', workerFile: WORKER });
  }, 120_000);

  afterAll(async () => {
    await service?.shutdown(5000);
    await llm.stop();
    await cleanup();
  });

  beforeEach(() => llm.reset());

  it('is ready before the first request without having loaded anything', async () => {
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, worker: 'not-started', index: { loaded: false, dir: 'index' }, model: { loaded: false } });
    // Open to anyone, so it names no folder of the machine.
    expect(JSON.stringify(ready.body)).not.toContain(tempRoot);
    expect((await get('/healthz')).body).toMatchObject({ status: 'ok' });
    expect((await get('/')).body).toMatchObject({ name: 'rag512' });
  });

  it('answers through the LLM with numbered passages and returns the cited ones', async () => {
    llm.reset([{ body: completion('Full-time employees accrue PTO from their first day [2]. New hires can book it after 60 days [1].') }]);
    const { status, body } = await ask({ question: 'How many vacation days do I get each year?', topK: 5 });
    expect(status).toBe(200);
    expect(body.mode).toBe('llm');
    expect(body.retrieval).toBe('hybrid');
    // Renumbered by first use: the passage sent as [2] is now citation 1.
    expect(body.answer).toBe('Full-time employees accrue PTO from their first day [1]. New hires can book it after 60 days [2].');
    expect(body.citations.map((c) => c.n)).toEqual([1, 2]);
    const sent = llm.requests[0]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    expect(sent.body.model).toBe('fake-model');
    const prompt = sent.body.messages!.map((m) => m.content).join('\n');
    expect(prompt).toContain('How many vacation days do I get each year?');
    const opening = (n: number) => prompt.search(new RegExp(`^<<passage ${n} [0-9a-f]{12}>>$`, 'm'));
    for (let n = 1; n <= 5; n++) expect(opening(n)).toBeGreaterThan(0);
    // Citation 1 is the passage numbered 2 in the prompt: its snippet is in that passage.
    const second = prompt.slice(opening(2), opening(3));
    expect(second).toContain(body.citations[0]!.snippet.slice(0, 40));
    for (const citation of body.citations) {
      expect(citation.end - citation.start).toBeGreaterThan(0);
      expect(citation.source).toMatch(/\.md$/);
    }
  });

  it('removes a citation that names no retrieved passage', async () => {
    llm.reset([{ body: completion('Parental leave is 16 weeks [1]. It can also be taken on the moon [9].') }]);
    const { body } = await ask({ question: 'How long is paid parental leave?', topK: 5 });
    expect(body.mode).toBe('llm');
    expect(body.answer).toBe('Parental leave is 16 weeks [1]. It can also be taken on the moon.');
    expect(body.citations).toHaveLength(1);
    expect(body.notices.join(' ')).toContain('[9]');
  });

  it.each([
    ['o001', 'What is the capital of Australia?'],
    ['o004', 'Who won the FIFA World Cup in 2018?'],
    ['o008', 'How do I change a flat tire?'],
    ['o017', 'How do I install Python on Windows?'],
  ])('abstains on an off-topic question without calling the LLM (%s)', async (_id, question) => {
    const { status, body } = await ask({ question });
    expect(status).toBe(200);
    expect(body.mode).toBe('abstain');
    expect(body.citations).toEqual([]);
    expect(llm.requests).toHaveLength(0);
  });

  it.each([
    ['a 500', [{ status: 500, body: { error: { message: 'boom' } } }], 2],
    ['a 429 with a short Retry-After', [{ status: 429, headers: { 'retry-after': '0.2' }, body: { error: { message: 'slow down' } } }], 2],
    ['a 429 with a Retry-After beyond the cap', [{ status: 429, headers: { 'retry-after': '30' }, body: { error: { message: 'slow down' } } }], 1],
    ['a body that is not JSON', [{ body: '<html>gateway</html>' }], 1],
    ['no answer at all', [{ hang: true }], 1],
  ])('falls back to an extractive, cited answer within the bound when the LLM sends %s', async (_what, script, requests) => {
    llm.reset(script);
    const started = Date.now();
    const { status, body } = await ask({ question: 'How long is paid parental leave?' });
    const elapsed = Date.now() - started;
    expect(status).toBe(200);
    expect(body.mode).toBe('extractive');
    expect(body.citations.length).toBeGreaterThan(0);
    expect(body.answer).toMatch(/\[1\]/);
    expect(body.notices.join(' ')).toContain('The language model failed');
    // The notice says what kind of failure, never where the LLM is or what it sent.
    expect(body.notices.join(' ')).not.toMatch(/127\.0\.0\.1|localhost|chat\/completions|gateway|slow down/);
    expect(llm.requests).toHaveLength(requests);
    expect(elapsed).toBeLessThan(LLM_BOUND_MS + 1500);
  });

  it('serves ranked passages at /api/search, filtered by source prefix', async () => {
    const { status, body } = await get('/api/search?q=reporting%20a%20lost%20laptop&k=4&source=security/');
    expect(status).toBe(200);
    const results = body.results as { source: string; text: string; start: number; end: number; score: number }[];
    expect(results.length).toBeGreaterThan(0);
    expect(results.length).toBeLessThanOrEqual(4);
    expect(results.every((r) => r.source.startsWith('security/'))).toBe(true);
    expect(results.every((r) => r.end - r.start === r.text.length)).toBe(true);
    expect(body.retrieval).toBe('hybrid');
  });

  // Each way a request can be refused is tested over fakes (server/app.test.ts, server/http/);
  // here, that the real service still answers after refusing the ones that cut a body short.
  it('still answers after a malformed body and an oversized one', async () => {
    const post = (body: string) => fetch(`${service.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const invalid = await post('{"question": ');
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { code: string } }).error.code).toBe('INVALID_JSON');
    const huge = await post(JSON.stringify({ question: 'x'.repeat(100_000) }));
    expect(huge.status).toBe(413);
    expect((await ask({ question: 'How do I report a lost laptop?' })).status).toBe(200);
  });

  it('reports what is loaded and the memory of both threads', async () => {
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, worker: 'running', index: { loaded: true }, model: { loaded: true, configured: STATIC_MODEL.model }, retrieval: 'hybrid', llm: { configured: true, model: 'fake-model' } });
    const memory = await get('/api/memory');
    const worker = memory.body.worker as Record<string, number>;
    expect(memory.body.rssMb).toBeGreaterThan(0);
    expect(worker.heapUsedMb).toBeGreaterThan(0);
    expect(worker.tasksTotal).toBeGreaterThan(5);
    expect(worker.recycles).toBe(0);
  });
});
