/**
 * Two server processes on one PostgreSQL database (stateless replicas): they answer alike, both
 * move to a new generation after `prebuild --store` swaps it in, without a restart, and a build
 * killed before its swap leaves them serving the live generation, its tables dropped by the next build.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { call } from '../helpers/http-call.js';
import { PREBUILD_CLI, runPrebuildCli } from '../helpers/prebuild-cli.js';
import { SAMPLE_CORPUS, SHARED_MODELS, STATIC_MODEL } from '../helpers/models.js';
import { startServerProcess, type ServerProcess } from '../../tools/testing/server-process.js';
import { tempDir } from '../helpers/temp.js';
import { sql, testDatabase, waitFor } from '../../tools/testing/pg-cluster.js';

interface SearchReply {
  results: { id: string; source: string; score: number }[];
}

let db: { url: string; drop(): Promise<void> };
let work: { dir: string; cleanup: () => Promise<void> };
let docs: string;
const servers: ServerProcess[] = [];
const MODEL_ARGS = ['--model', STATIC_MODEL.model, '--model-dir', SHARED_MODELS, '--quiet'];

async function search(server: ServerProcess, q: string): Promise<SearchReply> {
  const reply = await call(`${server.url}/api/search?q=${encodeURIComponent(q)}&k=5`);
  if (reply.status !== 200) throw new Error(`${reply.status} ${reply.text}`);
  return reply.body as SearchReply;
}

async function liveGeneration(): Promise<string> {
  return (await sql<{ generation: string }>(db.url, 'SELECT generation FROM rag512_live'))[0]!.generation;
}

beforeAll(async () => {
  db = await testDatabase();
  work = await tempDir();
  docs = path.join(work.dir, 'docs');
  await cp(SAMPLE_CORPUS, docs, { recursive: true });
  const built = await runPrebuildCli(['--docs', docs, '--store', db.url, ...MODEL_ARGS]);
  if (built.code !== 0) throw new Error(built.stderr);
  const env = { INDEX_STORE: db.url, MODEL_DIR: SHARED_MODELS, EMBEDDING_MODEL: STATIC_MODEL.model, WARMUP: 'true' };
  servers.push(...(await Promise.all([startServerProcess(env), startServerProcess({ ...env, INDEX_STORE: '', DATABASE_URL: db.url })])));
}, 180_000);

afterAll(async () => {
  for (const server of servers) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await db?.drop();
  await work?.cleanup();
});

describe('two servers on one database', () => {
  it('answer the same questions with the same passages (one configured by INDEX_STORE, one by DATABASE_URL)', async () => {
    for (const q of ['How many vacation days do I get?', 'parental leave top-up in Canada', 'expense report deadline']) {
      const [a, b] = await Promise.all(servers.map((server) => search(server, q)));
      expect(a!.results.length).toBeGreaterThan(0);
      expect(b!.results).toEqual(a!.results);
    }
  });

  it('both serve a new generation after the swap, without a restart', async () => {
    const before = await liveGeneration();
    for (const server of servers) expect((await search(server, 'zorblax ceremony')).results.map((r) => r.source)).not.toContain('zorblax.md');
    await writeFile(path.join(docs, 'zorblax.md'), '# The zorblax ceremony\n\nEvery quarter the whole company holds the zorblax ceremony: each team lights a lantern and reads out what it shipped.\n');
    const rebuilt = await runPrebuildCli(['--docs', docs, '--store', db.url, ...MODEL_ARGS]);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/\(\d+ embedded, \d+ reused\)/);
    const after = await liveGeneration();
    expect(after).not.toBe(before);
    for (const server of servers) {
      const top = await waitFor(`${server.url} to serve generation ${after}`, async () => {
        const { results } = await search(server, 'zorblax ceremony');
        return results[0]?.source === 'zorblax.md' ? results[0] : undefined;
      });
      expect(top.source).toBe('zorblax.md');
      const ready = await call(`${server.url}/readyz`);
      expect((ready.body as { index: { generation: string } }).index.generation).toBe(after);
    }
  }, 120_000);

  it('keep serving the live generation when a build is killed before its swap; the next build drops its tables', async () => {
    const live = await liveGeneration();
    await writeFile(path.join(docs, 'quuxifer.md'), '# Quuxifer duty\n\nThe quuxifer on duty waters the office plants on Fridays.\n');
    const child = spawn(process.execPath, [PREBUILD_CLI, '--docs', docs, '--store', db.url, ...MODEL_ARGS], { env: { ...process.env, PREBUILD_PAUSE_BEFORE_SWAP_MS: '300000' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const written = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (data: Buffer) => {
        stderr += data.toString();
        const id = /generation (g\w+) written, pausing/.exec(stderr)?.[1];
        if (id) resolve(id);
      });
      child.on('exit', () => reject(new Error(`the build exited before its swap:\n${stderr}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    // Its tables are there, filled, and not live.
    const [half] = await sql<{ n: string }>(db.url, `SELECT count(*) AS n FROM rag512_gen_${written}_chunks`);
    expect(Number(half!.n)).toBeGreaterThan(0);
    expect(await liveGeneration()).toBe(live);
    for (const server of servers) {
      const { results } = await search(server, 'quuxifer duty plants');
      expect(results.map((r) => r.source)).not.toContain('quuxifer.md');
    }
    const next = await runPrebuildCli(['--docs', docs, '--store', db.url, ...MODEL_ARGS]);
    expect(next.code).toBe(0);
    const tables = await sql<{ tablename: string }>(db.url, `SELECT tablename FROM pg_tables WHERE tablename LIKE $1`, [`rag512_gen_${written}_%`]);
    expect(tables).toEqual([]);
    for (const server of servers) {
      await waitFor(`${server.url} to find the new document`, async () => ((await search(server, 'quuxifer duty plants')).results[0]?.source === 'quuxifer.md' ? true : undefined));
    }
  }, 180_000);
});
