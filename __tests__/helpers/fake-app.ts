import { ApiError } from '../../server/http/errors.js';
import type { ApiKeySettings } from '../../server/http/api-keys.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Answerer } from '../../answer/answerer.js';
import { createApp, type AppDeps } from '../../server/app.js';
import { createLogger, silentLogger } from '../../server/logger.js';
import type { GovernorSnapshot } from '../../server/memory/governor.js';
import { ServiceMetrics } from '../../server/metrics.js';
import type { GateStats, TaskResult } from '../../server/worker-gate/worker-gate.js';
import type { SearchHit, SearchOutput, SearchRequest, StatusOutput } from '../../workers/protocol.js';

/** A passage as the worker returns it; `text` sets `end` so the span stays true. */
export function fakeHit(id: string, text: string, over: Partial<SearchHit> = {}): SearchHit {
  const start = over.start ?? 100;
  return { id, source: 'leave/pto.md', title: 'Paid time off', headings: ['Leave', 'Accrual'], start, end: start + text.length, text, score: 0.8123456789, scores: { vector: { rank: 1, score: 0.71 }, lexical: { rank: 1, score: 7.5 } }, ...over };
}

export const LEAVE_HITS: SearchHit[] = [
  fakeHit('pto#1', 'Full-time employees get 25 vacation days each year. Vacation days accrue monthly from the first day of work.'),
  fakeHit('pto#2', 'Unused vacation days carry over to the next year, up to five days.', { start: 400, score: 0.61, source: 'leave/carry-over.md', title: 'Carry-over', headings: [] }),
];

const LOADED: StatusOutput = { indexLoaded: true, modelLoaded: true, retrieval: 'hybrid', chunks: 42, model: 'static', indexDir: '/index', generation: 'g1' };

/** What the worker would answer: the hits and figures a test chooses. */
export function searchResult(hits: SearchHit[], value: Partial<SearchOutput> = {}): TaskResult<SearchOutput> {
  return {
    value: { hits, retrieval: 'hybrid', query: { unknownTerms: [], keywordMatch: 0.9, corpusSimilarity: 0.5 }, timings: { embedMs: 1.25, searchMs: 2.5 }, ...value },
    memory: { rssBytes: 200 * 1048576, heapUsedBytes: 30 * 1048576, heapTotalBytes: 40 * 1048576, externalBytes: 0, arrayBuffersBytes: 0 },
    state: LOADED,
    queueMs: 3,
    runMs: 4,
  };
}

/** The gate's stats as a test sets them; by default a running worker with its index and model loaded. */
export function gateStats(over: Partial<GateStats> = {}): GateStats {
  return {
    worker: 'running', recycles: 1, recyclesByReason: { tasks: 1, rss: 0, memory: 0, crash: 0, timeout: 0, requested: 0, model: 0, generation: 0 },
    tasksSinceRecycle: 5, recycleAfter: 500, tasksTotal: 17, crashes: 0, outOfMemory: 0, retried: 0, queued: 0, running: false,
    lastWorkerMemory: { rssBytes: 200 * 1048576, heapUsedBytes: 30 * 1048576, heapTotalBytes: 40 * 1048576, externalBytes: 0, arrayBuffersBytes: 0 },
    lastState: LOADED, lastError: null, model: 'loaded', admission: null, ...over,
  };
}

export function governorSnapshot(over: Partial<GovernorSnapshot> = {}): GovernorSnapshot {
  return { mode: 'normal', rssMb: 180, limitMb: 512, cautiousAtMb: 358, degradedAtMb: 435, since: '2024-01-01T00:00:00.000Z', transitions: 0, ...over };
}

/** The app's world, changed by tests between requests. */
export interface FakeWorld {
  /** Answers the next searches; by default the leave passages. */
  search: (request: SearchRequest) => Promise<TaskResult<SearchOutput>>;
  searches: SearchRequest[];
  stats: GateStats;
  memory: { mode: GovernorSnapshot['mode']; snapshot: () => GovernorSnapshot };
  shuttingDown: boolean;
  /** Every log line the app wrote, as written, but the one per request (those are in `requests`). */
  logs: string[];
  /** The one line per request, as written. */
  requests: string[];
}

export interface FakeApp {
  url: string;
  /** The app's metrics, when started `withMetrics`. */
  metrics: ServiceMetrics | undefined;
  world: FakeWorld;
  reset(): void;
  close(): Promise<void>;
}

export const LIMITS = { defaultTopK: 5, maxTopK: 20, maxQuestionChars: 2000 };
export const FLOORS = { minCoverage: 0.33, minKeywordMatch: 0.2, minSimilarity: 0.4, minCorpusSimilarity: 0.17, maxUnknownShare: 0.3 };

function freshWorld(logs: string[], requests: string[]): FakeWorld {
  const world: FakeWorld = {
    search: async () => searchResult(LEAVE_HITS),
    searches: [],
    stats: gateStats(),
    memory: { mode: 'normal', snapshot: () => governorSnapshot({ mode: world.memory.mode }) },
    shuttingDown: false,
    logs,
    requests,
  };
  return world;
}

/** `createApp` over fakes (no worker, no model, no LLM), listening on an ephemeral loopback port. */
export async function startFakeApp(options: { withMemory?: boolean; withMetrics?: boolean; apiKeys?: ApiKeySettings; extra?: Partial<AppDeps> } = {}): Promise<FakeApp> {
  const logs: string[] = [];
  const requests: string[] = [];
  const fake: FakeApp = { url: '', metrics: undefined, world: freshWorld(logs, requests), reset: () => undefined, close: async () => undefined };
  fake.reset = () => {
    logs.length = 0;
    requests.length = 0;
    fake.world = freshWorld(logs, requests);
  };
  const gate = {
    search: (request: SearchRequest) => {
      fake.world.searches.push(request);
      return fake.world.search(request);
    },
    snapshot: () => fake.world.stats,
    // The fake index holds no document text (the real one is tested over a real worker).
    document: () => Promise.reject(new ApiError(404, 'DOCUMENT_NOT_FOUND', 'The fake app holds no documents')),
  };
  const memory = { get mode() { return fake.world.memory.mode; }, snapshot: () => fake.world.memory.snapshot() };
  if (options.withMetrics) fake.metrics = new ServiceMetrics({ gate, memory });
  const app = createApp({
    gate,
    answerer: new Answerer({ search: (request) => gate.search(request), llm: null, floors: FLOORS, log: silentLogger }),
    limits: LIMITS,
    log: createLogger('debug', (line) => (line.endsWith(',"message":"request"}') ? requests : logs).push(line)),
    about: { version: '1.2.3', indexDir: '/index', embeddingModel: 'static', llmModel: null },
    isShuttingDown: () => fake.world.shuttingDown,
    ...(options.withMemory === false ? {} : { memory }),
    metrics: fake.metrics,
    ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}),
    ...options.extra,
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return fake;
}
