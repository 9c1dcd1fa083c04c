/**
 * bin/supervise in front of a real server whose worker thread aborts the process (a native crash):
 * the server is restarted with backoff and answers again; SIGTERM reaches it through the
 * supervisor and in-flight requests finish (the drain); the supervisor itself costs about 1 MB.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { prebuild } from '../../indexing/prebuild.js';
import { FakeLlm, completion } from '../helpers/fake-llm.js';
import { call, post } from '../helpers/http-call.js';
import { SAMPLE_CORPUS, SHARED_MODELS, STATIC_MODEL } from '../helpers/models.js';
import { rssMbOf } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('bin/supervise', () => {
  let supervisor: ChildProcess;
  let lines: string[] = [];
  let url = '';
  let llm: FakeLlm;
  let cleanup: () => Promise<void> = async () => undefined;
  let exited: Promise<[number | null, NodeJS.Signals | null]>;

  /** Resolves when the supervised server has logged `listening` for the nth time. */
  const listened = (times: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening ${times} times:\n${lines.join('\n')}`)), 60_000);
      const check = () => {
        if (lines.filter((line) => line.includes('"message":"listening"')).length >= times) {
          clearTimeout(timer);
          supervisor.stdout!.off('data', check);
          resolve();
        }
      };
      supervisor.stdout!.on('data', check);
      check();
    });

  beforeAll(async () => {
    const temp = await tempDir();
    cleanup = temp.cleanup;
    const indexDir = path.join(temp.dir, 'index');
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
    llm = await new FakeLlm().start();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    supervisor = spawn('bin/supervise', [process.execPath, '__tests__/fixtures/aborting-server.mjs'], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), INDEX_DIR: indexDir, MODEL_DIR: SHARED_MODELS, EMBEDDING_MODEL: STATIC_MODEL.model, LLM_BASE_URL: llm.url, LLM_RETRIES: '0', WORKER_RECYCLE_RSS_MB: '8000', SUPERVISE_MAX_BACKOFF_S: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = once(supervisor, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const collect = (data: Buffer) => lines.push(...data.toString('utf8').split('\n').filter(Boolean));
    supervisor.stdout!.on('data', collect);
    supervisor.stderr!.on('data', collect);
    await listened(1);
  }, 120_000);

  afterAll(async () => {
    // After a failed test: stop the supervisor and, whatever happened, every server it started.
    if (supervisor.exitCode === null) {
      supervisor.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
    for (const line of lines.filter((l) => l.includes('"message":"listening"'))) {
      try {
        process.kill((JSON.parse(line) as { pid: number }).pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (supervisor.exitCode === null) supervisor.kill('SIGKILL');
    await llm.stop();
    await cleanup();
    lines = [];
  });

  it('restarts the server after its worker aborts the process, and it answers again', async () => {
    expect((await call(`${url}/api/search?q=vacation%20days`)).status).toBe(200);
    const firstPid = (JSON.parse(lines.find((line) => line.includes('"message":"listening"'))!) as { pid: number }).pid;
    // The whole server process dies with the worker (SIGABRT): the request gets no answer.
    await expect(fetch(`${url}/api/search?q=abort%20the%20process`)).rejects.toThrow();
    await listened(2);
    const restart = lines.map((line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {})).find((line) => line.message === 'the server exited; restarting it');
    expect(restart).toMatchObject({ level: 'error', status: 134, restartInSeconds: 1, supervisor: supervisor.pid });
    const secondPid = (JSON.parse(lines.filter((line) => line.includes('"message":"listening"'))[1]!) as { pid: number }).pid;
    expect(secondPid).not.toBe(firstPid);
    const again = await call(`${url}/api/search?q=vacation%20days`);
    expect(again.status).toBe(200);
    expect((again.body as { results: unknown[] }).results.length).toBeGreaterThan(0);
    const rss = await rssMbOf(supervisor.pid!);
    process.stdout.write(`supervisor RSS: ${rss.toFixed(1)} MB\n`);
    expect(rss).toBeLessThan(8);
  }, 90_000);

  it('passes SIGTERM on: the answer in flight is finished (the drain), then both exit 0', async () => {
    llm.reset([{ delayMs: 1500, body: completion('You get 20 vacation days a year [1].') }]);
    const inFlight = post(`${url}/api/ask`, { question: 'How many vacation days do I get?' });
    await llm.nextRequest();
    supervisor.kill('SIGTERM');
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(lines.some((line) => line.includes('"message":"shutting down"'))).toBe(true);
    // Not restarted after a requested stop.
    expect(lines.filter((line) => line.includes('"message":"listening"'))).toHaveLength(2);
  }, 60_000);
});
