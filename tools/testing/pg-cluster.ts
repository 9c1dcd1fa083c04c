/**
 * A real PostgreSQL with pgvector for the PostgreSQL store's tests and bench. `RAG512_TEST_PG_URL`
 * (set by .ci/run) names a running server: each test file gets its own database on it. Without it, a
 * throwaway cluster is started with tools/ci/postgres-setup.sh (needs PostgreSQL 15 and pgvector,
 * installed once by `sudo tools/ci/postgres-setup.sh install`). These tests fail, never skip,
 * when neither works.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const SCRIPT = path.resolve('tools/ci/postgres-setup.sh');
const HOW = 'Install PostgreSQL 15 and pgvector once with `sudo tools/ci/postgres-setup.sh install`, or set RAG512_TEST_PG_URL to a PostgreSQL with pgvector (.ci/run does both).';

export interface Cluster {
  url: string;
  /** Stop the server (fast shutdown): connections drop, new ones are refused. */
  stop(): Promise<void>;
  /** Start it again on the same port. */
  start(): Promise<void>;
  destroy(): Promise<void>;
  /** Send a signal to every process of the server (SIGSTOP: a database that accepts connections and never answers). */
  signal(signal: NodeJS.Signals): Promise<void>;
}

async function script(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(SCRIPT, args, { timeout: 120_000 });
    return stdout.trim();
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr || (error as Error).message;
    throw new Error(`tools/ci/postgres-setup.sh ${args[0]} failed: ${detail}\n${HOW}`);
  }
}

/** A cluster of our own, in a temp folder, on a free port: for the tests that stop and start the database. */
export async function startCluster(): Promise<Cluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rag512-pg-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const url = await script(['start', dir]);
  let running = true;
  return {
    url,
    stop: async () => {
      await script(['stop', dir]);
      running = false;
    },
    start: async () => {
      await script(['start', dir]);
      running = true;
    },
    destroy: async () => {
      if (running) await script(['stop', dir]).catch(() => undefined);
      await cleanup();
    },
    signal: async (signal) => {
      const postmaster = Number((await readFile(path.join(dir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(postmaster)]);
      for (const pid of [postmaster, ...stdout.split('\n').map((line) => Number(line.trim())).filter(Boolean)]) process.kill(pid, signal);
    },
  };
}

/** A fresh, empty database with pgvector: on RAG512_TEST_PG_URL's server, else on a cluster of our own. */
export async function testDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = process.env.RAG512_TEST_PG_URL;
  if (!server) {
    const cluster = await startCluster();
    return { url: cluster.url, drop: () => cluster.destroy() };
  }
  return createDatabase(server, 'rag512_test');
}

/** A fresh, empty database named `<prefix>_<random>` on `server` (a URL of a database on it), and how to drop it. */
export async function createDatabase(server: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await sql(server, `CREATE DATABASE ${name}`).catch((error: unknown) => {
    throw new Error(`the PostgreSQL server at ${server} cannot create a database: ${(error as Error).message}\n${HOW}`);
  });
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: async () => void (await sql(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}

/** One query on `url`, on a connection of its own. */
export async function sql<T extends object>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** Poll `check` until it returns a value (not undefined), or fail after `timeoutMs` with what it saw last. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
