import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Answerer } from '../answer/answerer.js';
import { createApp } from './app.js';
import { answerClientErrors } from './http/client-errors.js';
import { RefusalLog } from './http/refusal-log.js';
import type { ServerConfig } from './config.js';
import type { IndexCheck } from './index-check.js';
import type { LlmClient } from './llm.js';
import type { Logger } from './logger.js';
import { MemoryGovernor } from './memory/governor.js';
import { applyMemoryPolicy, createModelAdmission } from './memory/memory-policy.js';
import { DeferredMetrics } from './deferred-metrics.js';
import { observedAnswerer, observedSearch } from './observed.js';
import { shutdown } from './shutdown.js';
import { WorkerGate } from './worker-gate/worker-gate.js';
import type { SearchRequest } from '../workers/protocol.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The compiled worker entry, next to this file's folder in dist/. */
export const WORKER_FILE = path.join(here, '../workers/worker.js');

/** Refused requests log the first of each kind per this interval, and a count of the rest (`refusal-log.ts`). */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

export interface Service {
  server: Server;
  gate: WorkerGate;
  governor: MemoryGovernor;
  /** Null when `METRICS=false`. */
  metrics: DeferredMetrics | null;
  url: string;
  /** Stop accepting, let in-flight requests finish, stop the worker. Resolves `true` if that took less than `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<boolean>;
}

export interface ServiceOptions {
  log: Logger;
  /** Process RSS in bytes for the memory governor (tests inject one). */
  rss?: () => number;
  /** The clock (ms) the model admission holds the model back by (tests step through a hold). */
  now?: () => number;
  version: string;
  workerFile?: string;
  /** Replaces the LLM client built from `config.llm` (tests). */
  llm?: LlmClient | null;
  /** The boot check of the index (`checkIndex`), for `/readyz` before the first question. */
  indexCheck?: IndexCheck;
}

/** The composition root: wire the governor, the gate, the LLM client and the app together and listen on `config.port`. */
export async function startService(config: ServerConfig, options: ServiceOptions): Promise<Service> {
  const { log } = options;
  const governor = new MemoryGovernor(config.memory, log, options.rss);
  const gate = createGate(config, options, governor);
  // prom-client loads at the first question or scrape (`deferred-metrics.ts`), and never with METRICS=false.
  const metrics = config.metrics ? new DeferredMetrics(async () => new (await import('./metrics.js')).ServiceMetrics({ gate, memory: governor })) : null;
  const llm = await llmClient(config, options, metrics);
  const search = metrics ? observedSearch((request) => gate.search(request), metrics) : (request: SearchRequest) => gate.search(request);
  applyMemoryPolicy(governor, gate, { maxQueue: config.worker.maxQueue, log });
  governor.start();
  const llmCancel = new AbortController();
  const answerer = new Answerer({
    search,
    llm,
    floors: config.answers.floors,
    explicitFloors: config.answers.explicitFloors,
    log,
    llmCancel: llmCancel.signal,
    memoryMode: () => governor.mode,
    meaningWeight: config.answers.meaningWeight,
    workerBusy: () => gate.busy,
  });
  let shuttingDown = false;
  const refusals = new RefusalLog(log, { intervalMs: REFUSAL_LOG_INTERVAL_MS });
  const app = createApp({
    gate: { search, snapshot: () => gate.snapshot(), document: (source, around) => gate.document(source, around), refusalNow: () => gate.refusalNow() },
    answerer: metrics ? observedAnswerer(answerer, metrics) : answerer,
    limits: config.answers,
    log,
    about: { version: options.version, indexDir: config.indexStore ?? config.indexDir, embeddingModel: config.embedding.model, llmModel: llm?.model ?? null, index: options.indexCheck ?? null },
    isShuttingDown: () => shuttingDown,
    memory: governor,
    sseHeartbeatMs: config.sseHeartbeatMs,
    trustProxyHops: config.trustProxyHops,
    shedDelayMs: config.shedDelayMs,
    apiKeys: config.access,
    metrics: metrics ?? undefined,
    ratePerMinute: config.abuse.ratePerMinute,
    clientMaxInFlight: config.abuse.clientMaxInFlight,
    corsOrigins: config.abuse.corsOrigins,
    refusals,
  });
  const { server, url } = await listen(app, config);
  if (config.warmup) warmUp(gate, log);
  const stop = (timeoutMs: number) => {
    shuttingDown = true;
    // The refusals counted since the last summary would otherwise leave no trace of a flood that ended in a restart.
    return shutdown({ server, gate, governor, llmCancel }, timeoutMs).finally(() => refusals.flush());
  };
  return { server, gate, governor, metrics, url, shutdown: stop };
}

/**
 * The LLM client from `config.llm` (or the tests' own), limited and observed; null for extractive
 * answers. Its modules, and ky with them, are imported only when there is one.
 */
async function llmClient(config: ServerConfig, options: ServiceOptions, metrics: DeferredMetrics | null): Promise<LlmClient | null> {
  let plain = options.llm ?? null;
  if (options.llm === undefined && config.llm) {
    // One after the other: Jest's ESM runtime fails two imports that link one dependency (ky) at once.
    const { createLlmClient } = await import('./llm.js');
    const { limitedLlm } = await import('./llm-limit.js');
    plain = limitedLlm(createLlmClient(config.llm), { maxConcurrent: config.llm.maxConcurrency, maxWaiting: config.llm.maxWaiting, maxWaitMs: config.llm.attemptTimeoutMs });
  }
  return plain && metrics ? (await import('./observed-llm.js')).observedLlm(plain, metrics) : plain;
}

/** The gate in front of the worker, its model loads admitted by memory, the governor sampling after every task. */
function createGate(config: ServerConfig, options: ServiceOptions, governor: MemoryGovernor): WorkerGate {
  const admission = createModelAdmission(config, governor, options.rss ?? (() => process.memoryUsage.rss()), options.now);
  return new WorkerGate({
    admission,
    onTaskDone: () => governor.sample(),
    filename: options.workerFile ?? WORKER_FILE,
    workerData: {
      indexDir: config.indexDir, ...(config.indexStore ? { indexStore: config.indexStore } : {}), embedding: config.embedding, searchCacheEntries: config.worker.searchCacheEntries, questionCacheBytes: config.worker.questionCacheBytes,
      // The boot check hashed the model file: workers need not read it again while it is unchanged.
      ...(options.indexCheck?.modelFile ? { modelFile: options.indexCheck.modelFile } : {}),
    },
    settings: config.worker,
    log: options.log,
  });
}

/** Listen on `config.port` (0: any free port) and say where, as a URL a local client can use. */
async function listen(app: ReturnType<typeof createApp>, config: Pick<ServerConfig, 'port' | 'host' | 'connections'>): Promise<{ server: Server; url: string }> {
  // A client that sends its headers or its body slowly, or never finishes, is cut off (Node keeps
  // them for minutes by default: a stalled upload 328 s, slow headers 88 s), and connections past
  // the cap are closed at once, so unfinished uploads cannot fill memory. Node checks the timeouts
  // every `connectionsCheckingInterval` (30 s by default): a second keeps them close to what is set.
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, max } = config.connections;
  const server = createServer({ headersTimeout: headersTimeoutMs, requestTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, headersTimeoutMs), requireHostHeader: false }, app.callback());
  server.maxConnections = max;
  server.keepAliveTimeout = keepAliveTimeoutMs;
  answerClientErrors(server);
  server.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${address.port}`;
  return { server, url };
}

/** Load the index and the model now rather than on the first question (`WARMUP=true`); a failure is only logged. */
function warmUp(gate: WorkerGate, log: Logger): void {
  gate.run({ task: 'status', load: true }).then(
    (result) => log.info('warmed up', { retrieval: result.value.retrieval, chunks: result.value.chunks, ms: result.runMs }),
    (error: unknown) => log.warn('warm-up failed', { error: error instanceof Error ? error.message : String(error) }),
  );
}
