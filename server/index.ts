#!/usr/bin/env node
/**
 * The process edge: read the environment, check the index, listen, and shut down cleanly on
 * SIGTERM (Heroku and Render send it, then SIGKILL after 30 s). The server never builds an index
 * and never downloads a model: `npm run build:index` does both, before it (npm start, deploy builds).
 */
import { packageVersion } from '../store/package-version.js';
import { ConfigError, loadConfig } from './config.js';
import { checkIndex } from './index-check.js';
import { watchFileIndex } from './index-watch.js';
import { createLogger } from './logger.js';
import { startService } from './service.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`rag512: invalid configuration: ${error.message}\nSee .env.example for every variable and its default.\n`);
    process.exit(78);
  }
  const log = createLogger(config.logLevel, { pretty: config.logPretty });
  // The PostgreSQL store (issue 17) is checked, and watched, by server/index-check-postgres.ts.
  let onRecovered = () => {};
  const indexCheck = config.indexStore ? (await (await import('./index-check-postgres.js')).watchPostgresIndex(config.indexStore, config.embedding, { onRecovered: () => onRecovered() })).check : await checkIndex(config.indexDir, config.embedding);
  if (indexCheck.ok) log.info('index', { dir: config.indexDir, generation: indexCheck.generation, chunks: indexCheck.chunks, retrieval: indexCheck.retrieval, ...(indexCheck.reason ? { note: indexCheck.reason } : {}) });
  else log.error('the index cannot be served; /readyz says why and questions get 503', { dir: config.indexDir, reason: indexCheck.reason });
  const service = await startService(config, { log, version: packageVersion(), indexCheck });
  const warmWorker = () => void service.gate.run({ task: 'status', load: true }).catch(() => undefined);
  onRecovered = warmWorker;
  if (!config.indexStore && config.indexWatchMs > 0) {
    // A rebuild of INDEX_DIR while the server runs: the next worker serves the new generation.
    watchFileIndex(config.indexDir, config.embedding, indexCheck, {
      everyMs: config.indexWatchMs,
      onNewGeneration: (check) => {
        log.info('new index generation: the worker is recycled onto it', { generation: check.generation, chunks: check.chunks, retrieval: check.retrieval });
        service.gate.requestRecycle('generation');
        warmWorker();
      },
      onRefused: (check) => log.error('new index generation cannot be served; /readyz says why', { generation: check.generation, reason: check.reason }),
    });
  }
  log.info('listening', {
    url: service.url,
    index: config.indexDir,
    retrieval: indexCheck.retrieval,
    model: config.embedding.model,
    llm: config.llm ? `${config.llm.model} at ${config.llm.baseUrl}` : 'none: extractive answers',
    rssMb: Math.round(process.memoryUsage.rss() / 1048576),
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal, timeoutMs: config.shutdownTimeoutMs });
    service.shutdown(config.shutdownTimeoutMs).then(
      (clean) => {
        log.info(clean ? 'stopped' : 'stopped with requests cut off by SHUTDOWN_TIMEOUT_MS', {});
        process.exit(clean ? 0 : 1);
      },
      (error: unknown) => {
        log.error('shutdown failed', { error: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      },
    );
  };
  // One request's fault must not take the process down: log a stray rejection instead of exiting.
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { error: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason) }));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
