#!/usr/bin/env node
/**
 * The naive design `bench:memory` measures ours against, built from the same parts: the same Koa
 * app, answerer, retriever and model, but the model is loaded eagerly in the main thread, with no
 * worker, no recycling and no memory governor. This is how most RAG servers are written. It is a
 * benchmark fixture, never a way to run the service, which is why it lives in tools/ and may import
 * both server/ and workers/ (the server itself must not load the model).
 */
import { ApiError } from '../../server/http/errors.js';
import path from 'node:path';
import { Answerer } from '../../answer/answerer.js';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createLlmClient } from '../../server/llm.js';
import { createLogger } from '../../server/logger.js';
import type { GateStats, TaskResult } from '../../server/worker-gate/worker-gate.js';
import { Embedder } from '../../workers/embedder.js';
import type { SearchOutput, SearchRequest, StatusOutput, WorkerMemory } from '../../workers/protocol.js';
import { Retriever } from '../../workers/retriever.js';

const config = loadConfig(process.env);
const log = createLogger(config.logLevel);
const embedder = await Embedder.load(config.embedding);
const retriever = await Retriever.open({ indexDir: config.indexDir, embedder });
const state: StatusOutput = {
  indexLoaded: true, modelLoaded: true, retrieval: retriever.retrieval, chunks: retriever.index.chunks.length,
  model: config.embedding.model, indexDir: config.indexDir, generation: path.basename(retriever.index.dir),
};
let tasks = 0;

function memory(): WorkerMemory {
  const usage = process.memoryUsage();
  return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, heapTotalBytes: usage.heapTotal, externalBytes: usage.external, arrayBuffersBytes: usage.arrayBuffers };
}

async function search({ query, topK, filter }: SearchRequest): Promise<TaskResult<SearchOutput>> {
  const started = performance.now();
  const value = await retriever.search({ query, topK, filter });
  tasks++;
  return { value, memory: memory(), state, queueMs: 0, runMs: performance.now() - started };
}

function snapshot(): GateStats {
  return {
    worker: 'running', recycles: 0, recyclesByReason: { tasks: 0, rss: 0, memory: 0, crash: 0, timeout: 0, requested: 0, model: 0, generation: 0 },
    tasksSinceRecycle: tasks, recycleAfter: Number.POSITIVE_INFINITY, tasksTotal: tasks, crashes: 0, outOfMemory: 0, retried: 0, queued: 0,
    running: false, lastWorkerMemory: memory(), lastState: state, lastError: null,
    model: 'loaded', admission: null,
  };
}

const llm = config.llm ? createLlmClient(config.llm) : null;
const answerer = new Answerer({ search, llm, floors: config.answers.floors, log });
const app = createApp({
  // The baseline (the naive design the memory benchmark compares with) shows no documents.
  gate: { search, snapshot, document: () => Promise.reject(new ApiError(404, 'DOCUMENT_NOT_FOUND', 'The baseline shows no documents')) },
  answerer,
  limits: config.answers,
  log,
  about: { version: 'baseline', indexDir: config.indexDir, embeddingModel: config.embedding.model, llmModel: llm?.model ?? null },
});
const server = app.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info('listening', { url: `http://127.0.0.1:${port}`, design: 'baseline: model in the main thread, no worker' });
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
