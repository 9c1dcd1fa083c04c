import path from 'node:path';
import { parseKeys, type ApiKeySettings } from './http/api-keys.js';
import type { GovernorSettings } from './memory/governor.js';
import { DEFAULT_FLOORS, DEFAULT_MEANING_WEIGHT, DEFAULT_TOP_K, FLOOR_VARIABLES } from '../answer/defaults.js';
import type { RelevanceFloors } from '../answer/relevance.js';
import { DEFAULT_EMBEDDING_CONFIG, DEFAULT_MODEL_DIR, MODEL_DTYPES, type EmbeddingConfig } from '../workers/model-config.js';

/** Everything the server reads from the environment, validated once at boot (`loadConfig`). */
export interface ServerConfig {
  port: number;
  host: string;
  /** Index folder to serve, as `npm run build:index` built it (the server never builds one). */
  indexDir: string;
  /** `INDEX_STORE` or `DATABASE_URL` when it is a `postgres://` URL: the PostgreSQL store serves instead of `indexDir` (null: the file store). */
  indexStore: string | null;
  /** How often the file store's `CURRENT` pointer is read for a rebuilt index (`INDEX_WATCH_MS`); 0: never. */
  indexWatchMs: number;
  /** Always with `allowRemote` false: the server never downloads a model. */
  embedding: EmbeddingConfig;
  /** Null when `LLM_BASE_URL` is unset: answers are then extractive. */
  llm: LlmSettings | null;
  worker: WorkerSettings;
  answers: AnswerSettings;
  memory: MemorySettings;
  warmup: boolean;
  shutdownTimeoutMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** How often a streamed answer sends a `: ping` comment, so proxies keep the connection. */
  sseHeartbeatMs: number;
  /** Proxies in front of the server whose X-Forwarded-For is believed (Render and Heroku: 1). */
  trustProxyHops: number;
  /** How long a 503 QUEUE_FULL waits before it is sent, so a loop of refused clients slows down (`SHED_DELAY_MS`). */
  shedDelayMs: number;
  /** Digests of `API_KEYS` and `OPERATOR_API_KEYS`; both empty: every route is open. */
  access: ApiKeySettings;
  /** How long a client may take to send its headers and its whole request, and how many connections are open at once. */
  connections: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number; max: number };
  /** Human-readable log lines through pino-pretty (a dev dependency) instead of JSON. */
  logPretty: boolean;
  /** Serve `GET /metrics` (Prometheus text format). */
  metrics: boolean;
  /** Issue 15: rate limits, fair share and CORS (`RATE_LIMIT_PER_MINUTE`, `CLIENT_MAX_IN_FLIGHT`, `CORS_ORIGINS`). */
  abuse: AbuseSettings;
}

/** How much one client may ask, and which web pages on other origins may call the API. */
export interface AbuseSettings {
  /** Expensive requests (questions, searches, documents) per client per minute; 0: no rate limit. */
  ratePerMinute: number;
  /** Expensive requests one client may have in flight or queued at once (the fair share of the worker queue). */
  clientMaxInFlight: number;
  /** Origins (`https://example.org`) whose pages may call the API from a browser; empty: no CORS at all. */
  corsOrigins: string[];
}

export interface LlmSettings {
  baseUrl: string;
  apiKey: string | null;
  model: string;
  /** Bound on the whole call, retries and body included. */
  totalTimeoutMs: number;
  /** ky's `timeout`: per attempt, until response headers. */
  attemptTimeoutMs: number;
  retries: number;
  maxRetryAfterMs: number;
  maxTokens: number;
  /** LLM calls in flight at once (`LLM_MAX_CONCURRENCY`), and calls that may wait for a turn (`LLM_QUEUE_MAX`). */
  maxConcurrency: number;
  maxWaiting: number;
}

export interface WorkerSettings {
  maxTasks: number;
  maxTasksJitter: number;
  heapMb: number;
  recycleRssMb: number;
  maxQueue: number;
  taskTimeoutMs: number;
  restartCooldownMs: number;
  /** Identical searches the worker answers again from memory (`SEARCH_CACHE_ENTRIES`; 0: none). */
  searchCacheEntries: number;
  /** Bytes of question vectors the worker remembers (`QUESTION_CACHE_KB`); entries: twice `searchCacheEntries`. */
  questionCacheBytes?: number;
  /** Most waiting searches sent to the worker as one task (`WORKER_BATCH_MAX`); unset or 1: one task at a time. */
  batchMax?: number;
  /** How long a lone search waits for company right after a batch of several (`WORKER_BATCH_WAIT_MS`); 0: never. An idle worker never waits. */
  batchWaitMs?: number;
  /** Tasks the worker runs at once on the PostgreSQL store (`PG_SEARCHES_IN_FLIGHT`): its searches wait on the database. The file store runs one. */
  pgSearchesInFlight?: number;
}

export interface MemorySettings extends GovernorSettings {
  /** After a memory recycle of a worker with the model, how long it runs without the model (keyword search); doubles per repeat up to the max. */
  modelHoldMs: number;
  modelMaxHoldMs: number;
}

export interface AnswerSettings {
  defaultTopK: number;
  maxTopK: number;
  maxQuestionChars: number;
  floors: RelevanceFloors;
  /** The floors set in the environment; they outrank the floors an index measured for its model at build time. */
  explicitFloors: Partial<RelevanceFloors>;
  /** See AnswererDeps.meaningWeight. */
  meaningWeight: number;
}

/**
 * One table of every variable: its default and how to read it. `.env.example` mirrors it. The
 * model's and the answers' defaults are defined where they are used, and only spelled here.
 */
export const DEFAULTS = {
  PORT: '3000',
  HOST: '0.0.0.0',
  INDEX_DIR: 'data/index',
  INDEX_WATCH_MS: '2000',
  EMBEDDING_MODEL: DEFAULT_EMBEDDING_CONFIG.model,
  MODEL_DIR: DEFAULT_MODEL_DIR,
  MODEL_DTYPE: DEFAULT_EMBEDDING_CONFIG.dtype,
  LLM_BASE_URL: '',
  LLM_API_KEY: '',
  LLM_MODEL: 'gpt-4o-mini',
  LLM_TIMEOUT_MS: '20000',
  LLM_ATTEMPT_TIMEOUT_MS: '10000',
  LLM_RETRIES: '2',
  LLM_MAX_RETRY_AFTER_MS: '5000',
  LLM_MAX_TOKENS: '400',
  LLM_MAX_CONCURRENCY: '4',
  LLM_QUEUE_MAX: '16',
  WORKER_MAX_TASKS: '20000',
  WORKER_MAX_TASKS_JITTER: '2000',
  WORKER_HEAP_MB: '128',
  WORKER_RECYCLE_RSS_MB: '400',
  WORKER_QUEUE_MAX: '64',
  TASK_TIMEOUT_MS: '20000',
  WORKER_RESTART_COOLDOWN_MS: '5000',
  TOP_K: String(DEFAULT_TOP_K),
  MAX_TOP_K: '20',
  MAX_QUESTION_CHARS: '2000',
  ABSTAIN_MIN_COVERAGE: String(DEFAULT_FLOORS.minCoverage),
  ABSTAIN_MIN_KEYWORD_MATCH: String(DEFAULT_FLOORS.minKeywordMatch),
  ABSTAIN_MIN_SIMILARITY: String(DEFAULT_FLOORS.minSimilarity),
  ABSTAIN_MIN_CORPUS_SIMILARITY: String(DEFAULT_FLOORS.minCorpusSimilarity),
  ABSTAIN_MAX_UNKNOWN_SHARE: String(DEFAULT_FLOORS.maxUnknownShare),
  EXTRACTIVE_MEANING_WEIGHT: String(DEFAULT_MEANING_WEIGHT),
  MEMORY_LIMIT_MB: '512',
  MEMORY_CAUTIOUS_AT: '0.78',
  MEMORY_DEGRADED_AT: '0.88',
  MEMORY_HYSTERESIS: '0.05',
  MEMORY_SAMPLE_MS: '250',
  MEMORY_MODEL_HOLD_MS: '30000',
  MEMORY_MODEL_MAX_HOLD_MS: '600000',
  WARMUP: 'false',
  SHUTDOWN_TIMEOUT_MS: '10000',
  LOG_LEVEL: 'info',
  /** The worker's own default (DEFAULT_CACHE_LIMITS in workers/search-cache.ts; a test keeps them equal). */
  SEARCH_CACHE_ENTRIES: '256',
  /** The worker's own default (DEFAULT_CACHE_LIMITS.vectorBytes). */
  QUESTION_CACHE_KB: '1024',
  WORKER_BATCH_MAX: '8',
  WORKER_BATCH_WAIT_MS: '2',
  PG_SEARCHES_IN_FLIGHT: '2',
  SSE_HEARTBEAT_MS: '15000',
  TRUST_PROXY_HOPS: '0',
  SHED_DELAY_MS: '250',
  API_KEYS: '',
  OPERATOR_API_KEYS: '',
  HEADERS_TIMEOUT_MS: '10000',
  REQUEST_TIMEOUT_MS: '15000',
  /** Node's own default. */
  KEEP_ALIVE_TIMEOUT_MS: '5000',
  MAX_CONNECTIONS: '512',
  /** Empty: pretty only when NODE_ENV=development. */
  LOG_PRETTY: '',
  METRICS: 'true',
  /** Issue 15: off in code (local use, tests, benchmarks); render.yaml and app.json set 60 for a public URL. */
  RATE_LIMIT_PER_MINUTE: '0',
  /** Empty: a quarter of WORKER_QUEUE_MAX, at least 2. */
  CLIENT_MAX_IN_FLIGHT: '',
  CORS_ORIGINS: '',
} as const satisfies Record<string, string>;

export type ConfigVariable = keyof typeof DEFAULTS;

/** A variable broke its rule; the message names both. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly variable: string, readonly rule: string, readonly value: string) {
    super(`${variable} ${rule}, got ${JSON.stringify(value)}`);
  }
}

class Reader {
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  raw(name: ConfigVariable): string {
    const value = this.env[name];
    return value === undefined || value === '' ? DEFAULTS[name] : value;
  }

  int(name: ConfigVariable, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const text = this.raw(name);
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new ConfigError(name, `must be an integer from ${min} to ${max}`, text);
    }
    return n;
  }

  number(name: ConfigVariable, min: number, max: number): number {
    const text = this.raw(name);
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new ConfigError(name, `must be a number from ${min} to ${max}`, text);
    return n;
  }

  bool(name: ConfigVariable): boolean {
    const text = this.raw(name).toLowerCase();
    if (['true', '1', 'yes'].includes(text)) return true;
    if (['false', '0', 'no'].includes(text)) return false;
    throw new ConfigError(name, 'must be true or false', this.raw(name));
  }

  oneOf<T extends string>(name: ConfigVariable, choices: readonly T[]): T {
    const text = this.raw(name);
    if (!(choices as readonly string[]).includes(text)) throw new ConfigError(name, `must be one of ${choices.join(', ')}`, text);
    return text as T;
  }

  url(name: ConfigVariable): string | null {
    const text = this.raw(name);
    if (!text) return null;
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new ConfigError(name, 'must be an http(s) URL such as https://api.openai.com/v1', text);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(name, 'must be an http(s) URL', text);
    return text.replace(/\/+$/, '');
  }
}

function llmSettings(read: Reader): LlmSettings | null {
  const baseUrl = read.url('LLM_BASE_URL');
  if (!baseUrl) return null;
  const totalTimeoutMs = read.int('LLM_TIMEOUT_MS', 100, 600_000);
  const attemptTimeoutMs = read.int('LLM_ATTEMPT_TIMEOUT_MS', 100, 600_000);
  return {
    baseUrl,
    apiKey: read.raw('LLM_API_KEY') || null,
    model: read.raw('LLM_MODEL'),
    totalTimeoutMs,
    attemptTimeoutMs: Math.min(attemptTimeoutMs, totalTimeoutMs),
    retries: read.int('LLM_RETRIES', 0, 10),
    maxRetryAfterMs: read.int('LLM_MAX_RETRY_AFTER_MS', 0, 600_000),
    maxTokens: read.int('LLM_MAX_TOKENS', 16, 32_000),
    maxConcurrency: read.int('LLM_MAX_CONCURRENCY', 1, 1000),
    maxWaiting: read.int('LLM_QUEUE_MAX', 0, 10_000),
  };
}

function memorySettings(read: Reader): MemorySettings {
  const cautiousAt = read.number('MEMORY_CAUTIOUS_AT', 0.1, 1);
  const degradedAt = read.number('MEMORY_DEGRADED_AT', 0.1, 1);
  if (degradedAt <= cautiousAt) throw new ConfigError('MEMORY_DEGRADED_AT', `must be above MEMORY_CAUTIOUS_AT (${cautiousAt})`, String(degradedAt));
  const modelHoldMs = read.int('MEMORY_MODEL_HOLD_MS', 0, 86_400_000);
  return {
    limitMb: read.int('MEMORY_LIMIT_MB', 64, 1_048_576),
    cautiousAt,
    degradedAt,
    hysteresis: read.number('MEMORY_HYSTERESIS', 0, 0.5),
    sampleEveryMs: read.int('MEMORY_SAMPLE_MS', 50, 60_000),
    modelHoldMs,
    modelMaxHoldMs: Math.max(modelHoldMs, read.int('MEMORY_MODEL_MAX_HOLD_MS', 0, 86_400_000)),
  };
}

/** Every floor (set or default), and apart the ones set in the environment: those outrank an index's own calibration. */
function abstentionFloors(read: Reader, env: NodeJS.ProcessEnv): { floors: RelevanceFloors; explicitFloors: Partial<RelevanceFloors> } {
  const floors = {} as RelevanceFloors;
  const explicitFloors: Partial<RelevanceFloors> = {};
  for (const [field, [name, min, max]] of Object.entries(FLOOR_VARIABLES) as [keyof RelevanceFloors, readonly [ConfigVariable, number, number]][]) {
    floors[field] = read.number(name, min, max);
    if (env[name] !== undefined && env[name] !== '') explicitFloors[field] = floors[field];
  }
  return { floors, explicitFloors };
}

/**
 * Read and check the environment. Throws ConfigError naming the first variable that breaks its
 * rule. Relative paths resolve against `cwd`.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): ServerConfig {
  const read = new Reader(env);
  const defaultTopK = read.int('TOP_K', 1, 50);
  const maxTopK = read.int('MAX_TOP_K', 1, 50);
  if (defaultTopK > maxTopK) throw new ConfigError('TOP_K', `must not exceed MAX_TOP_K (${maxTopK})`, String(defaultTopK));
  return {
    port: read.int('PORT', 0, 65_535),
    host: read.raw('HOST'),
    indexDir: path.resolve(cwd, read.raw('INDEX_DIR')),
    indexStore: [env.INDEX_STORE, env.DATABASE_URL].find((url) => url && /^postgres(ql)?:\/\//.test(url)) ?? null,
    indexWatchMs: read.int('INDEX_WATCH_MS', 0, 3_600_000),
    embedding: {
      model: read.raw('EMBEDDING_MODEL'),
      modelDir: path.resolve(cwd, read.raw('MODEL_DIR')),
      // ALLOW_REMOTE_MODELS is for the build step (npm run build:index) only: nothing is downloaded at run time.
      allowRemote: false,
      dtype: read.oneOf('MODEL_DTYPE', MODEL_DTYPES),
    },
    llm: llmSettings(read),
    worker: {
      maxTasks: read.int('WORKER_MAX_TASKS', 1),
      maxTasksJitter: read.int('WORKER_MAX_TASKS_JITTER', 0),
      heapMb: read.int('WORKER_HEAP_MB', 16, 4096),
      recycleRssMb: read.int('WORKER_RECYCLE_RSS_MB', 64, 65_536),
      maxQueue: read.int('WORKER_QUEUE_MAX', 1, 10_000),
      taskTimeoutMs: read.int('TASK_TIMEOUT_MS', 100, 600_000),
      restartCooldownMs: read.int('WORKER_RESTART_COOLDOWN_MS', 0, 600_000),
      searchCacheEntries: read.int('SEARCH_CACHE_ENTRIES', 0, 100_000),
      questionCacheBytes: 1024 * read.int('QUESTION_CACHE_KB', 0, 1_048_576),
      batchMax: read.int('WORKER_BATCH_MAX', 1, 256),
      batchWaitMs: read.int('WORKER_BATCH_WAIT_MS', 0, 1000),
      pgSearchesInFlight: read.int('PG_SEARCHES_IN_FLIGHT', 1, 64),
    },
    answers: {
      defaultTopK,
      maxTopK,
      maxQuestionChars: read.int('MAX_QUESTION_CHARS', 10, 100_000),
      ...abstentionFloors(read, env),
      meaningWeight: read.number('EXTRACTIVE_MEANING_WEIGHT', 0, 100),
    },
    memory: memorySettings(read),
    warmup: read.bool('WARMUP'),
    shutdownTimeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 0, 600_000),
    logLevel: read.oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const),
    sseHeartbeatMs: read.int('SSE_HEARTBEAT_MS', 50, 600_000),
    trustProxyHops: read.int('TRUST_PROXY_HOPS', 0, 10),
    shedDelayMs: read.int('SHED_DELAY_MS', 0, 10_000),
    access: { keys: parseKeys(read.raw('API_KEYS')), operatorKeys: parseKeys(read.raw('OPERATOR_API_KEYS')) },
    connections: {
      headersTimeoutMs: read.int('HEADERS_TIMEOUT_MS', 100, 600_000),
      // Node requires the whole-request timeout to be at least the headers' one.
      requestTimeoutMs: Math.max(read.int('REQUEST_TIMEOUT_MS', 100, 600_000), read.int('HEADERS_TIMEOUT_MS', 100, 600_000)),
      keepAliveTimeoutMs: read.int('KEEP_ALIVE_TIMEOUT_MS', 100, 600_000),
      max: read.int('MAX_CONNECTIONS', 1, 1_000_000),
    },
    logPretty: read.raw('LOG_PRETTY') === '' ? env.NODE_ENV === 'development' : read.bool('LOG_PRETTY'),
    metrics: read.bool('METRICS'),
    abuse: abuseSettings(read),
  };
}

/** Rate limit, fair share and CORS allow-list (issue 15). */
function abuseSettings(read: Reader): AbuseSettings {
  const maxQueue = read.int('WORKER_QUEUE_MAX', 1, 10_000);
  const inFlight = read.raw('CLIENT_MAX_IN_FLIGHT');
  const corsOrigins = read.raw('CORS_ORIGINS').split(',').map((origin) => origin.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    // An origin is scheme, host and port, exactly as a browser sends it in `Origin`: no path, no wildcard.
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.origin !== origin) {
      throw new ConfigError('CORS_ORIGINS', 'must be a comma-separated list of origins such as https://example.org (scheme, host and port only; no path, no *)', origin);
    }
  }
  return {
    ratePerMinute: read.int('RATE_LIMIT_PER_MINUTE', 0, 1_000_000),
    clientMaxInFlight: inFlight === '' ? Math.max(2, Math.floor(maxQueue / 4)) : read.int('CLIENT_MAX_IN_FLIGHT', 1, 100_000),
    corsOrigins,
  };
}
