#!/usr/bin/env node
/**
 * The process edge: read the environment, build the sample index if needed, listen, and shut down
 * cleanly on SIGTERM (Heroku and Render send it, then SIGKILL after 30 s).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../store/package-version.js';
import { ConfigError, loadConfig } from './config.js';
import { ensureSampleIndex } from './ensure-index.js';
import { createLogger } from './logger.js';
import { startService } from './service.js';

const here = path.dirname(fileURLToPath(import.meta.url));

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
  if (config.sampleCorpusDir) {
    // A signal while the index builds stops the build too, instead of leaving it orphaned.
    const booting = new AbortController();
    const stopEarly = (signal: string) => {
      booting.abort();
      log.info('stopped while building the sample index', { signal });
      process.exit(143);
    };
    const onTerm = () => stopEarly('SIGTERM');
    const onInt = () => stopEarly('SIGINT');
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
    const built = await ensureSampleIndex(config, path.join(here, '../tools/prebuild-cli.js'), log, { signal: booting.signal });
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    if (!built.ok) log.error('could not build the sample index; /readyz will say why requests fail', { detail: built.detail });
  }
  const service = await startService(config, { log, version: packageVersion() });
  log.info('listening', {
    url: service.url,
    index: config.indexDir,
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
