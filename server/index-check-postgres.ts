/**
 * The boot check for the PostgreSQL store (INDEX_STORE / DATABASE_URL), beside the file store's
 * server/index-check.ts: the live generation's manifest read from the database instead of a folder.
 * The check then keeps watching (every `everyMs`): `/readyz` says 503 with the reason while the
 * database is unreachable and 200 again once it answers, whether or not questions arrive meanwhile.
 * `pg` is loaded only here and only when the PostgreSQL store is configured.
 */
import type { IndexCheck } from './index-check.js';
import { fingerprintDifferences, describeDifference } from '../store/model-fingerprint.js';
import type { EmbeddingConfig } from '../workers/model-config.js';

const BUILD = 'build it with `npm run prebuild -- --docs <folder> --store <DATABASE_URL>`';

export interface PostgresWatch {
  /** Updated in place by each check: pass it where an IndexCheck is read (`/readyz`). */
  check: IndexCheck;
  stop(): Promise<void>;
}

/**
 * Check the database's live generation now, then every `everyMs`. `onRecovered` is called when a
 * check succeeds after one failed (the server then warms its worker, which clears the last error).
 */
export async function watchPostgresIndex(url: string, embedding: EmbeddingConfig, options: { everyMs?: number; onRecovered?: () => void } = {}): Promise<PostgresWatch> {
  const { connectPool, isUnavailable, redactUrl } = await import('../store/pg-schema.js');
  const { readLive } = await import('../store/pg-read.js');
  const pool = await connectPool(url, { max: 1, connectTimeoutMs: 2000, statementTimeoutMs: 2000 });
  const shown = redactUrl(url);
  const checkOnce = async (): Promise<IndexCheck> => {
    try {
      const live = await readLive(pool);
      if (!live) return { ok: false, retrieval: null, reason: `no index in the database at ${shown}: ${BUILD}`, generation: null, chunks: 0 };
      const found = { generation: live.id, chunks: live.chunks };
      const built = live.manifest.model;
      if (!built) return { ok: true, retrieval: 'lexical', reason: 'the index was built without an embedding model', ...found };
      const differences = fingerprintDifferences(built, { id: embedding.model });
      if (differences.length) return { ok: false, retrieval: 'hybrid', reason: `the index was built for another model (${differences.map(describeDifference).join('; ')}): set EMBEDDING_MODEL=${built.id}, or ${BUILD}`, ...found };
      return { ok: true, retrieval: 'hybrid', ...found };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      if ((error as { code?: unknown }).code === '42P01') return { ok: false, retrieval: null, reason: `no index in the database at ${shown}: ${BUILD}`, generation: null, chunks: 0 };
      const reason = isUnavailable(error) ? `the database at ${shown} cannot be reached (${detail}): questions get 503 until it answers again` : `the database at ${shown} failed: ${detail}`;
      return { ok: false, retrieval: null, reason, generation: null, chunks: 0 };
    }
  };
  const check = await checkOnce();
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void checkOnce()
      .then((next) => {
        const recovered = !check.ok && next.ok;
        delete check.reason;
        Object.assign(check, next);
        if (recovered) options.onRecovered?.();
      })
      .finally(() => (running = false));
  }, options.everyMs ?? 2000);
  timer.unref();
  return {
    check,
    stop: async () => {
      clearInterval(timer);
      await pool.end().catch(() => undefined);
    },
  };
}
