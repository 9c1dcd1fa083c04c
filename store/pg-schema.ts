/**
 * The PostgreSQL store's layout (issue 17). Each index generation is its own set of tables,
 * `rag512_gen_<id>_chunks|terms|vocab|documents`; one pointer row, `rag512_live`, names the live one.
 * A build writes a new set beside the live one and moves the pointer in one transaction, so a
 * reader sees the old generation or the new one, never a mix.
 *
 * `pg` is imported lazily (`connectPool`), only when the PostgreSQL store is configured: the file
 * store's server never loads it.
 */
import type { Pool, PoolConfig } from 'pg';

/** How vectors are held: `halfvec` (2 bytes a dimension) measured the same recall@10 as `vector` at half the size (see README, Scaling). */
export type VectorType = 'halfvec' | 'vector';
export const DEFAULT_VECTOR_TYPE: VectorType = 'halfvec';

/** BM25's constants, as workers/lexical-index.ts uses them: the keyword side scores the same in both stores. */
export const BM25 = { k1: 1.2, b: 0.75 } as const;

/** The advisory lock a build holds: one build at a time per database (released if the build dies). */
export const BUILD_LOCK_KEY = 0x7261_6735;

export const GENERATIONS_TABLE = 'rag512_generations';
export const LIVE_TABLE = 'rag512_live';

/** A generation id: lowercase letters, digits and `_` only, so it can be part of a table name. */
export function checkGenerationId(id: string): string {
  if (!/^[a-z0-9_]{1,40}$/.test(id)) throw new Error(`invalid generation id ${JSON.stringify(id)}`);
  return id;
}

export function generationTables(id: string): { chunks: string; terms: string; vocab: string; documents: string } {
  const prefix = `rag512_gen_${checkGenerationId(id)}`;
  return { chunks: `${prefix}_chunks`, terms: `${prefix}_terms`, vocab: `${prefix}_vocab`, documents: `${prefix}_documents` };
}

/** The shared tables: generations (manifest, counts, centroid) and the single pointer row. Idempotent. */
export const BASE_SCHEMA = `
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS ${GENERATIONS_TABLE} (
  id text PRIMARY KEY,
  manifest jsonb NOT NULL,
  chunks integer NOT NULL,
  vector_type text NOT NULL,
  dimensions integer NOT NULL,
  centroid real[],
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${LIVE_TABLE} (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  generation text NOT NULL REFERENCES ${GENERATIONS_TABLE}(id),
  previous text,
  swapped_at timestamptz NOT NULL DEFAULT now()
);
`;

/** The connection settings every user of the store shares: a small pool, and nothing that can hang. */
export interface PoolSettings {
  /** Connections in the pool (default 2: free tiers allow few). */
  max?: number;
  connectTimeoutMs?: number;
  /** The server cancels a statement running longer (`statement_timeout`); the client gives up shortly after. */
  statementTimeoutMs?: number;
  /** pgvector's `hnsw.ef_search`: candidates the graph search keeps (default 100; results are at most this many). */
  efSearch?: number;
}

export const DEFAULT_POOL: Required<PoolSettings> = { max: 2, connectTimeoutMs: 3000, statementTimeoutMs: 5000, efSearch: 100 };

/** A pool on `url`, with `pg` loaded now (dynamic import). Idle-client errors (the server went away) are absorbed: the next query reports them. */
export async function connectPool(url: string, settings: PoolSettings = {}): Promise<Pool> {
  const { max, connectTimeoutMs, statementTimeoutMs, efSearch } = { ...DEFAULT_POOL, ...settings };
  const pg = (await import('pg')).default;
  const config: PoolConfig = {
    connectionString: url,
    max,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    // 0: no limit (a build: an HNSW index over a large corpus takes minutes).
    statement_timeout: statementTimeoutMs,
    ...(statementTimeoutMs > 0 ? { query_timeout: statementTimeoutMs + 1000 } : {}),
    application_name: 'rag512',
    // HNSW returns at most ef_search rows: above fusion's depth (50). A source filter keeps scanning the graph until enough rows pass it.
    options: `-c hnsw.ef_search=${efSearch} -c hnsw.iterative_scan=relaxed_order`,
  };
  const pool = new pg.Pool(config);
  pool.on('error', () => {
    /* an idle connection was closed by the server; the pool drops it */
  });
  return pool;
}

/** A URL as it may be shown: without its password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** True for a PostgreSQL connection string (`postgres://` or `postgresql://`). */
export function isPostgresUrl(value: string | undefined): value is string {
  return Boolean(value && /^postgres(ql)?:\/\//.test(value));
}

/** Errors that mean "the database cannot be reached now" rather than a bug: connection refused, reset, timeouts, shutdown. */
export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '57014', '08000', '08003', '08006', '08001', '08004', '53300'].includes(code)) return true;
  return /timeout|terminat|Connection terminated|connect/i.test(message);
}
