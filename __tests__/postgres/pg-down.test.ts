/**
 * The database going away under a running server, and coming back: questions get a prompt 503
 * with Retry-After (never a hang), /readyz says 503 and why, and both recover by themselves.
 * A cluster of this file's own, since it is stopped and started.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call, post } from '../helpers/http-call.js';
import { runPrebuildCli } from '../helpers/prebuild-cli.js';
import { SAMPLE_CORPUS, SHARED_MODELS, STATIC_MODEL } from '../helpers/models.js';
import { startServerProcess, type ServerProcess } from '../../tools/testing/server-process.js';
import { startCluster, waitFor, type Cluster } from '../../tools/testing/pg-cluster.js';

let cluster: Cluster;
let server: ServerProcess;
const QUESTION = 'How many vacation days do I get?';

interface Ready {
  ready: boolean;
  reason?: string;
}

beforeAll(async () => {
  cluster = await startCluster();
  const built = await runPrebuildCli(['--docs', SAMPLE_CORPUS, '--store', cluster.url, '--model', STATIC_MODEL.model, '--model-dir', SHARED_MODELS, '--quiet']);
  if (built.code !== 0) throw new Error(built.stderr);
  server = await startServerProcess({ DATABASE_URL: cluster.url, MODEL_DIR: SHARED_MODELS, EMBEDDING_MODEL: STATIC_MODEL.model, WARMUP: 'true' });
}, 180_000);

afterAll(async () => {
  if (server) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await cluster?.destroy();
});

describe('the database goes away and comes back', () => {
  it('answers while the database is up', async () => {
    const reply = await call(`${server.url}/api/search?q=${encodeURIComponent(QUESTION)}`);
    expect(reply.status).toBe(200);
    expect((await call(`${server.url}/readyz`)).status).toBe(200);
  });

  it('refuses questions with 503 and Retry-After, and /readyz says why, while it is down', async () => {
    await cluster.stop();
    // A question not asked before (no cached answer): it needs the database.
    const searched = await call(`${server.url}/api/search?q=${encodeURIComponent('expense report deadline')}`);
    expect(searched.status).toBe(503);
    expect(Number(searched.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((searched.body as { error: { code: string } }).error.code).toBe('DATABASE_UNAVAILABLE');
    const asked = await post(`${server.url}/api/ask`, { question: 'Who approves travel?' });
    expect(asked.status).toBe(503);
    expect(asked.headers.get('retry-after')).not.toBeNull();
    const ready = await waitFor('/readyz to report the database down', async () => {
      const reply = await call(`${server.url}/readyz`);
      return reply.status === 503 ? (reply.body as Ready) : undefined;
    });
    expect(ready.ready).toBe(false);
    expect(ready.reason).toMatch(/database at postgres:\/\/.* cannot be reached/);
  });

  it('recovers by itself once the database is back', async () => {
    await cluster.start();
    await waitFor('/readyz to be 200 again', async () => ((await call(`${server.url}/readyz`)).status === 200 ? true : undefined));
    const reply = await call(`${server.url}/api/search?q=${encodeURIComponent('expense report deadline')}`);
    expect(reply.status).toBe(200);
    expect((reply.body as { results: unknown[] }).results.length).toBeGreaterThan(0);
  });

  it('answers 503 within its timeouts, never hangs, when the database accepts connections and never answers', async () => {
    await cluster.signal('SIGSTOP');
    try {
      // The pool's connect (3 s) and query (6 s) timeouts bound the wait, well inside the task's 20 s.
      const started = Date.now();
      const searched = await call(`${server.url}/api/search?q=${encodeURIComponent('who approves travel requests')}`);
      expect(searched.status).toBe(503);
      expect((searched.body as { error: { code: string } }).error.code).toBe('DATABASE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await cluster.signal('SIGCONT');
    }
    await waitFor('answers again after SIGCONT', async () => ((await call(`${server.url}/api/search?q=${encodeURIComponent('who approves travel requests')}`)).status === 200 ? true : undefined));
  });
});
