import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Answerer } from '../answer/answerer.js';
import { createApp } from './app.js';
import { memoryDegradedError } from './http/errors.js';
import type { ServerConfig } from './config.js';
import { createLlmClient, type LlmClient } from './llm.js';
import type { Logger } from './logger.js';
import { MemoryGovernor } from './memory/governor.js';
import { modelCostPriorMb, ModelAdmission } from './memory/model-admission.js';
import { modelFilePath } from '../workers/model-config.js';
import { WorkerGate } from './worker-gate/worker-gate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The compiled worker entry, next to this file's folder in dist/. */
export const WORKER_FILE = path.join(here, '../workers/worker.js');

/** Time left, before the shutdown bound, for requests whose LLM call was cut to answer extractively. */
const LLM_SHUTDOWN_MARGIN_MS = 1000;

export interface Service {
  server: Server;
  gate: WorkerGate;
  governor: MemoryGovernor;
  url: string;
  /** Stop accepting, let in-flight requests finish, stop the worker. Resolves `true` if that took less than `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<boolean>;
}

export interface ServiceOptions {
  log: Logger;
  /** Process RSS in bytes for the memory governor (tests inject one). */
  rss?: () => number;
  version: string;
  workerFile?: string;
  /** Replaces the LLM client built from `config.llm` (tests). */
  llm?: LlmClient | null;
}

/** Wire the gate, the LLM client and the app together and listen on `config.port`. */
export async function startService(config: ServerConfig, options: ServiceOptions): Promise<Service> {
  const { log } = options;
  const governor = new MemoryGovernor(config.memory, log, options.rss);
  const rss = options.rss ?? (() => process.memoryUsage.rss());
  const { limitMb, cautiousAt, modelHoldMs, modelMaxHoldMs } = config.memory;
  // A model that would push RSS past WORKER_RECYCLE_RSS_MB would only be recycled again.
  const cautiousMb = limitMb * cautiousAt;
  const ceiling = config.worker.recycleRssMb < cautiousMb ? { ceilingMb: config.worker.recycleRssMb, ceilingName: 'WORKER_RECYCLE_RSS_MB' } : { ceilingMb: cautiousMb, ceilingName: 'the cautious threshold' };
  const admission = new ModelAdmission(
    { ...ceiling, holdMs: modelHoldMs, maxHoldMs: modelMaxHoldMs },
    modelCostPriorMb(modelFilePath(config.embedding)),
    { rssMb: () => rss() / 1048576, mode: () => governor.mode },
  );
  const gate: WorkerGate = new WorkerGate({
    admission,
    onTaskDone: () => governor.sample(),
    filename: options.workerFile ?? WORKER_FILE,
    workerData: { indexDir: config.indexDir, embedding: config.embedding },
    settings: config.worker,
    log,
  });
  const llm = options.llm !== undefined ? options.llm : config.llm ? createLlmClient(config.llm) : null;
  governor.onChange((mode) => {
    // Leaving normal: give back the worker's memory at its next idle moment, and queue half as many.
    if (mode !== 'normal') gate.requestRecycle('memory');
    // Degraded: the backlog would keep the worker busy, and memory climbing, for seconds more.
    if (mode === 'degraded') {
      const shed = gate.shedQueued(memoryDegradedError(governor.snapshot()));
      if (shed) log.warn('shed queued questions on entering degraded memory mode', { shed });
    }
    gate.setQueueLimit(mode === 'normal' ? undefined : Math.max(1, Math.floor(config.worker.maxQueue / 2)));
  });
  governor.start();
  const llmCancel = new AbortController();
  const answerer = new Answerer({
    search: (request) => gate.search(request),
    llm,
    floors: config.answers.floors,
    log,
    llmCancel: llmCancel.signal,
    memoryMode: () => governor.mode,
    meaningWeight: config.answers.meaningWeight,
    workerBusy: () => gate.busy,
  });
  let shuttingDown = false;
  const app = createApp({
    gate,
    answerer,
    limits: config.answers,
    log,
    about: { version: options.version, indexDir: config.indexDir, embeddingModel: config.embedding.model, llmModel: llm?.model ?? null },
    isShuttingDown: () => shuttingDown,
    memory: governor,
  });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${address.port}`;

  if (config.warmup) {
    gate.run({ task: 'status', load: true }).then(
      (result) => log.info('warmed up', { retrieval: result.value.retrieval, chunks: result.value.chunks, ms: result.runMs }),
      (error: unknown) => log.warn('warm-up failed', { error: error instanceof Error ? error.message : String(error) }),
    );
  }

  async function shutdown(timeoutMs: number): Promise<boolean> {
    shuttingDown = true;
    governor.stop();
    // LLM calls still running close to the bound are cut, so their requests end in extractive answers, not dropped connections.
    const cancelLlm = setTimeout(() => llmCancel.abort(), Math.max(0, timeoutMs - LLM_SHUTDOWN_MARGIN_MS));
    const drained = (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Connections that go idle after their last response are closed as they appear.
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        server.once('close', () => clearInterval(sweep));
        server.closeIdleConnections();
      });
      await gate.close();
    })();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const clean = await Promise.race([drained.then(() => true as const), timedOut]);
    clearTimeout(timer);
    clearTimeout(cancelLlm);
    if (!clean) server.closeAllConnections();
    return clean;
  }

  return { server, gate, governor, url, shutdown };
}
