import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { prebuild } from '../../indexing/prebuild.js';
import { completion, FakeLlm } from '../helpers/fake-llm.js';
import { SAMPLE_CORPUS, SHARED_MODELS, STATIC_MODEL } from '../helpers/models.js';
import { mappedLibraries, rssMbOf, runBuildIndex, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';

const LOG_MODULES = path.resolve('__tests__/fixtures/log-modules.mjs');
const HEAVY = /@huggingface\/transformers|onnxruntime|vectra|sharp/;
/** Loaded on first use, not at boot (README "Memory"). */
const WAITS_FOR_USE = /\/node_modules\/(zod|ky|prom-client|@opentelemetry|piscina)\//;
/** The build's document readers (and pdf.js's optional canvas): neither thread may ever load them. */
const DOCUMENT_READERS = /\/node_modules\/(pdfjs-dist|mammoth|htmlparser2|@napi-rs\/canvas)\//;

/** Resolve once `done()` holds, checking every 20 ms: a wait on something that has no event of its own. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('the server as its own process', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let indexDir: string;
  const running: ServerProcess[] = [];
  const start = async (env: Record<string, string>, nodeArgs: string[] = []) => {
    const server = await startServerProcess(env, nodeArgs);
    running.push(server);
    return server;
  };
  const staticEnv = () => ({ INDEX_DIR: indexDir, MODEL_DIR: SHARED_MODELS, EMBEDDING_MODEL: STATIC_MODEL.model });
  const ask = async (url: string, question: string) => {
    const res = await fetch(`${url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
    return { status: res.status, body: (await res.json()) as { mode: string; retrieval: string; notices: string[]; citations: unknown[] } };
  };

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    indexDir = path.join(dir, 'index');
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
  }, 120_000);

  afterAll(async () => {
    // Wait for every child to be gone: a child still closing its pipes keeps Jest's worker alive.
    await Promise.all(running.map((server) => (server.child.kill('SIGKILL'), server.exited)));
    await cleanup();
  });

  it('starts without loading the model, onnxruntime or vectra, and loads them on the first question', async () => {
    const moduleLog = path.join(dir, 'modules.log');
    const server = await start({ ...staticEnv(), MODULE_LOG: moduleLog }, ['--import', LOG_MODULES]);
    const pid = server.child.pid!;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const idleRss = await rssMbOf(pid);
    const modules = (await readFile(moduleLog, 'utf8')).split('\n');
    expect(modules.some((url) => url.includes('/node_modules/koa/'))).toBe(true);
    // No CommonJS package is imported from an ES module at boot (server/require-cjs.ts says why): Node's scan of their exports never loads.
    expect(modules.filter((url) => url.includes('cjs-module-lexer'))).toEqual([]);
    expect(modules.filter((url) => HEAVY.test(url))).toEqual([]);
    expect(modules.filter((url) => DOCUMENT_READERS.test(url))).toEqual([]);
    expect((await mappedLibraries(pid)).filter((lib) => HEAVY.test(lib))).toEqual([]);
    // What only questions, scrapes or an LLM need waits for them: request validation (zod), the LLM client (ky), prom-client, Piscina.
    expect(modules.filter((url) => WAITS_FOR_USE.test(url))).toEqual([]);
    // Measured Nov 29 (session 6): 76 MB idle alone, 84 MB with this test's module-logging hooks, 101 MB once under a full parallel suite;
    // 58 MB before pino, prom-client, @koa/router, zod and the boot's index check. The bound catches a heavy module loading at start.
    expect(idleRss).toBeLessThan(130);
    // JSON answers and refusals go out as strings (server/http/json-body.ts): no status route or error loads undici, the fetch Node defines lazily.
    for (const at of ['/healthz', '/readyz', '/api/memory', '/', '/nowhere']) await (await fetch(`${server.url}${at}`, { headers: { accept: 'application/json' } })).text();
    server.child.kill('SIGUSR2');
    // The fixture's interval flush may append lines after the marker: wait for the marker's line.
    await until(() => readFileSync(moduleLog, 'utf8').split('\n').includes('flushed'));
    const afterStatus = readFileSync(moduleLog, 'utf8').split('\n');
    expect(afterStatus.some((url) => url.includes('_http_server'))).toBe(true);
    expect(afterStatus.filter((url) => url.includes('undici'))).toEqual([]);
    // The retrieval mode comes from the manifest, before any question and without the model.
    expect(await (await fetch(`${server.url}/readyz`)).json()).toMatchObject({ ready: true, retrieval: 'hybrid', model: { loaded: false } });
    expect((await mappedLibraries(pid)).filter((lib) => HEAVY.test(lib))).toEqual([]);

    expect((await ask(server.url, 'How do I report a lost laptop?')).status).toBe(200);
    // The same checks now see the model's runtime (in the worker thread): they can fail.
    expect((await mappedLibraries(pid)).some((lib) => lib.includes('onnxruntime'))).toBe(true);
    expect(await rssMbOf(pid)).toBeGreaterThan(idleRss);
    // Answering loaded the worker's modules too (the hooks log them as well): still no document reader.
    const afterAsk = (await readFile(moduleLog, 'utf8')).split('\n');
    expect(afterAsk.some((url) => url.includes('/node_modules/@huggingface/transformers/'))).toBe(true);
    // The question's route loaded its module, and with it zod, and the first question loaded the metrics.
    expect(afterAsk.some((url) => url.includes('/node_modules/zod/'))).toBe(true);
    expect(afterAsk.some((url) => url.includes('/node_modules/prom-client/'))).toBe(true);
    expect(afterAsk.filter((url) => DOCUMENT_READERS.test(url))).toEqual([]);
    expect((await mappedLibraries(pid)).filter((lib) => DOCUMENT_READERS.test(lib))).toEqual([]);
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it('on SIGTERM stops accepting, finishes the request in flight, and exits 0', async () => {
    const llm = await new FakeLlm().start();
    try {
      llm.reset([{ delayMs: 3000, body: completion('Report it to the security team right away [1].') }]);
      // Keep-alive far past the shutdown bound: a connection left open after its response would make the drain miss the bound (exit 1).
      const server = await start({ ...staticEnv(), LLM_BASE_URL: llm.url, LLM_TIMEOUT_MS: '10000', SHUTDOWN_TIMEOUT_MS: '20000', KEEP_ALIVE_TIMEOUT_MS: '60000' });
      const inflight = ask(server.url, 'How do I report a lost laptop?');
      await until(() => llm.requests.length > 0);
      let answered = false;
      void inflight.then(() => (answered = true));
      server.child.kill('SIGTERM');
      // The server logs this line and closes its listener in the same tick: waiting for it, not for a fixed time, holds on a loaded machine.
      await until(() => server.logs.some((line) => line.includes('"message":"shutting down"')));
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
      expect(answered).toBe(false);
      const { status, body } = await inflight;
      expect(status).toBe(200);
      expect(body.mode).toBe('llm');
      // Exit 0: drained within SHUTDOWN_TIMEOUT_MS, so the answered request's keep-alive connection was closed, not left to its 60 s.
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.logs.some((line) => line.includes('"message":"stopped"'))).toBe(true);
    } finally {
      await llm.stop();
    }
  });

  it('on SIGTERM cuts an LLM call that would outlast the bound, answering extractively instead', async () => {
    const llm = await new FakeLlm().start();
    try {
      llm.reset([{ delayMs: 20_000, body: completion('too late [1]') }]);
      const server = await start({ ...staticEnv(), LLM_BASE_URL: llm.url, LLM_TIMEOUT_MS: '30000', LLM_ATTEMPT_TIMEOUT_MS: '30000', SHUTDOWN_TIMEOUT_MS: '2500' });
      const inflight = ask(server.url, 'How do I report a lost laptop?');
      await until(() => llm.requests.length > 0);
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      const { status, body } = await inflight;
      expect(status).toBe(200);
      expect(body.mode).toBe('extractive');
      expect(body.notices.join(' ')).toContain('shutting down');
      // Exit code 0 says the service drained within its own 2500 ms bound; this only checks the LLM's 20 s was not waited
      // out, with seconds of slack for signal delivery and process exit on a loaded machine.
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(10_000);
    } finally {
      await llm.stop();
    }
  });

  it('with no model anywhere, npm start\'s build step builds the sample lexical-only; the server says so before any question', async () => {
    const emptyModels = path.join(dir, 'no-models');
    await mkdir(emptyModels);
    // No documents folder and no INDEX_DIR: the sample corpus, into the default data/index (here under a temp cwd).
    const cwd = path.join(dir, 'laptop');
    await mkdir(cwd);
    const env = { SAMPLE_CORPUS_DIR: SAMPLE_CORPUS, MODEL_DIR: emptyModels, MODEL_HOST: 'http://127.0.0.1:9' };
    const built = await runBuildIndex(['--lexical-fallback'], env, cwd);
    expect(built.code).toBe(0);
    expect(built.output).toMatch(/KEYWORD SEARCH ONLY/);
    const server = await start({ ...env, INDEX_DIR: path.join(cwd, 'data/index') });
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { ready: boolean; retrieval: string; reason: string; index: { loaded: boolean } };
    expect(ready).toMatchObject({ ready: true, retrieval: 'lexical', index: { loaded: false } });
    expect(ready.reason).toMatch(/keyword search only/);
    const { status, body } = await ask(server.url, 'How many weeks of parental leave do I get?');
    expect(status).toBe(200);
    expect(body.retrieval).toBe('lexical');
    expect(body.mode).toBe('extractive');
    expect(body.citations.length).toBeGreaterThan(0);
    expect(body.notices.join(' ')).toMatch(/keyword search/);
    server.child.kill('SIGTERM');
    await server.exited;

    // A second start finds the index current and does not rebuild it.
    const again = await runBuildIndex(['--lexical-fallback'], env, cwd);
    expect(again.output).toContain('Index is current');
  });

  it('refuses an index whose model is not on disk, at boot, with the reason in /readyz, instead of searching it by keywords', async () => {
    const server = await start({ INDEX_DIR: indexDir, MODEL_DIR: path.join(dir, 'no-models'), EMBEDDING_MODEL: STATIC_MODEL.model });
    const res = await fetch(`${server.url}/readyz`);
    const ready = (await res.json()) as { ready: boolean; retrieval: string; reason: string };
    expect(res.status).toBe(503);
    expect(ready).toMatchObject({ ready: false, retrieval: 'hybrid' });
    expect(ready.reason).toMatch(/built with local\/static-use-wordpiece-512, which is not on disk/);
    const answer = await ask(server.url, 'How do I report a lost laptop?');
    expect(answer.status).toBe(503);
    server.child.kill('SIGTERM');
    await server.exited;

    const other = await start({ INDEX_DIR: indexDir, MODEL_DIR: SHARED_MODELS, EMBEDDING_MODEL: 'Synthetic/tiny-random-bert' });
    const mismatch = (await (await fetch(`${other.url}/readyz`)).json()) as { ready: boolean; reason: string };
    expect(mismatch.ready).toBe(false);
    expect(mismatch.reason).toMatch(/built for another model \(model local\/static-use-wordpiece-512 in the index, Synthetic\/tiny-random-bert configured\)/);
    other.child.kill('SIGTERM');
    await other.exited;
  });

  it('refuses to start on a bad variable, naming it and the rule', async () => {
    const failed = startServerProcess({ PORT: 'eighty' });
    await expect(failed).rejects.toThrow(/code 78[\s\S]*PORT must be an integer from 0 to 65535, got "eighty"/);
  });
});
