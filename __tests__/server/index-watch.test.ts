import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { prebuild } from '../../indexing/prebuild.js';
import type { MemoryReport, Readiness, SearchResponse } from '../../server/http/api-types.js';
import { SAMPLE_CORPUS, SHARED_MODELS, STATIC_MODEL, TINY_MODEL } from '../helpers/models.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';

/** A page the first build does not have, with a word no other page uses. */
const NEW_PAGE = '# Quarterly offsite\n\nThe zorblax offsite is held every quarter in the main office. Everyone is invited to the zorblax offsite.\n';

/** Resolve once `done()` holds, asking every 50 ms: the server has no event a test can subscribe to. */
async function until(done: () => Promise<boolean>): Promise<void> {
  while (!(await done())) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('a rebuild of the file store while the server runs', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let docsDir: string;
  let indexDir: string;
  let server: ServerProcess;
  const json = async <T>(route: string) => {
    const res = await fetch(`${server.url}${route}`);
    return { status: res.status, body: (await res.json()) as T };
  };
  const readiness = () => json<Readiness>('/readyz');
  const sources = async (q: string) => (await json<SearchResponse>(`/api/search?q=${encodeURIComponent(q)}&k=3`)).body.results.map((hit) => hit.source);

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    docsDir = path.join(dir, 'docs');
    indexDir = path.join(dir, 'index');
    await cp(path.join(SAMPLE_CORPUS, 'benefits'), docsDir, { recursive: true });
    await prebuild({ docsDir, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
    server = await startServerProcess({ INDEX_DIR: indexDir, MODEL_DIR: SHARED_MODELS, EMBEDDING_MODEL: STATIC_MODEL.model, INDEX_WATCH_MS: '100' });
  }, 120_000);

  afterAll(async () => {
    server.child.kill('SIGKILL');
    await server.exited;
    await cleanup();
  });

  it('moves the worker onto the new generation without a restart, and the new page is found', async () => {
    const before = await readiness();
    expect(before.status).toBe(200);
    expect(await sources('zorblax offsite')).not.toContain('quarterly-offsite.md');
    const first = (await readiness()).body.index.generation;
    expect(first).toMatch(/^gen-/);

    await writeFile(path.join(docsDir, 'quarterly-offsite.md'), NEW_PAGE);
    await prebuild({ docsDir, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
    await until(async () => {
      const now = await readiness();
      return now.body.index.loaded && now.body.index.generation !== first;
    });

    expect((await sources('zorblax offsite'))[0]).toBe('quarterly-offsite.md');
    const memory = await json<MemoryReport>('/api/memory');
    expect(memory.body.worker.recyclesByReason.generation).toBe(1);
    expect(server.logs.some((line) => line.includes('new index generation: the worker is recycled onto it'))).toBe(true);
  }, 120_000);

  it('keeps serving the generation it holds when the new one was built for another model, and says why on /readyz', async () => {
    const held = (await readiness()).body.index.generation;
    await prebuild({ docsDir, outDir: indexDir, embedding: TINY_MODEL, vectraExport: false, full: true });
    await until(async () => (await readiness()).status === 503);

    const refused = await readiness();
    expect(refused.body.reason).toContain('another model');
    expect(refused.body.index.generation).toBe(held);
    // The worker was not recycled onto an index it cannot search: questions are still answered from the old one.
    expect((await sources('zorblax offsite'))[0]).toBe('quarterly-offsite.md');
    const memory = await json<MemoryReport>('/api/memory');
    expect(memory.body.worker.recyclesByReason.generation).toBe(1);
  }, 120_000);
});
