import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, DEFAULTS, loadConfig } from '../../server/config.js';
import { DEFAULT_CACHE_LIMITS } from '../../workers/search-cache.js';
import { BUILD_DEFAULTS } from '../../tools/build-index.js';

const CWD = path.resolve('/srv/rag512');

/** The ConfigError `loadConfig(env)` throws, or a failure if it throws none (or something else). */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env, CWD);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  it('serves the index the build step writes (data/index under cwd) on port 3000 when nothing is set', () => {
    const config = loadConfig({}, CWD);
    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.indexDir).toBe(path.join(CWD, 'data', 'index'));
    expect(config.indexDir).toBe(path.resolve(CWD, BUILD_DEFAULTS.INDEX_DIR));
    expect(config.embedding).toEqual({ model: DEFAULTS.EMBEDDING_MODEL, modelDir: path.join(CWD, 'models'), allowRemote: false, dtype: 'q8' });
    expect(config.answers).toEqual({
      defaultTopK: 5,
      maxTopK: 20,
      maxQuestionChars: 2000,
      floors: { minCoverage: 0.33, minKeywordMatch: 0.2, minSimilarity: 0.4, minCorpusSimilarity: 0.17, maxUnknownShare: 0.3 },
      explicitFloors: {},
      meaningWeight: 6,
    });
    expect(config.warmup).toBe(false);
    expect(config.logLevel).toBe('info');
  });

  it('keeps apart the floors set in the environment, which outrank an index\'s calibration', () => {
    const config = loadConfig({ ABSTAIN_MIN_SIMILARITY: '0.35', ABSTAIN_MIN_COVERAGE: '', ABSTAIN_MAX_UNKNOWN_SHARE: '0.5' }, CWD);
    expect(config.answers.explicitFloors).toEqual({ minSimilarity: 0.35, maxUnknownShare: 0.5 });
    expect(config.answers.floors).toMatchObject({ minSimilarity: 0.35, minCoverage: 0.33, maxUnknownShare: 0.5 });
  });

  it('spells the worker\'s own search cache default, and 0 turns the cache off', () => {
    expect(Number(DEFAULTS.SEARCH_CACHE_ENTRIES)).toBe(DEFAULT_CACHE_LIMITS.resultEntries);
    expect(loadConfig({ SEARCH_CACHE_ENTRIES: '0' }, CWD).worker.searchCacheEntries).toBe(0);
    expect(() => loadConfig({ SEARCH_CACHE_ENTRIES: '-1' }, CWD)).toThrow(ConfigError);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', INDEX_DIR: '' }, CWD)).toMatchObject({ port: 3000, indexDir: path.join(CWD, 'data', 'index') });
  });

  it('serves INDEX_DIR, resolved against cwd', () => {
    const config = loadConfig({ INDEX_DIR: 'my-index' }, CWD);
    expect(config.indexDir).toBe(path.join(CWD, 'my-index'));
    expect(loadConfig({ INDEX_DIR: '/data/idx' }, CWD).indexDir).toBe(path.resolve('/data/idx'));
  });

  it('never lets the server download a model: ALLOW_REMOTE_MODELS is for the build step only', () => {
    expect(loadConfig({ ALLOW_REMOTE_MODELS: 'true' }, CWD).embedding.allowRemote).toBe(false);
    expect(DEFAULTS).not.toHaveProperty('ALLOW_REMOTE_MODELS');
    expect(BUILD_DEFAULTS.ALLOW_REMOTE_MODELS).toBe('true');
  });

  it('shares the model settings\' defaults with the build step, so both look for the same model in the same place', () => {
    for (const key of ['EMBEDDING_MODEL', 'MODEL_DIR', 'MODEL_DTYPE', 'INDEX_DIR'] as const) expect(DEFAULTS[key]).toBe(BUILD_DEFAULTS[key]);
  });

  it('has no LLM without LLM_BASE_URL, even when other LLM variables are set', () => {
    expect(loadConfig({}, CWD).llm).toBeNull();
    expect(loadConfig({ LLM_API_KEY: 'sk-test', LLM_MODEL: 'other' }, CWD).llm).toBeNull();
  });
});

describe('loadConfig logs and metrics', () => {
  it('serves /metrics unless METRICS=false, and logs JSON unless LOG_PRETTY or NODE_ENV=development asks for readable lines', () => {
    expect(loadConfig({}, CWD)).toMatchObject({ metrics: true, logPretty: false });
    expect(loadConfig({ METRICS: 'false', NODE_ENV: 'development' }, CWD)).toMatchObject({ metrics: false, logPretty: true });
    expect(loadConfig({ LOG_PRETTY: 'false', NODE_ENV: 'development' }, CWD).logPretty).toBe(false);
    expect(loadConfig({ LOG_PRETTY: 'true', NODE_ENV: 'production' }, CWD).logPretty).toBe(true);
    expect(() => loadConfig({ METRICS: 'sometimes' }, CWD)).toThrow('METRICS must be true or false, got "sometimes"');
  });
});

describe('loadConfig LLM settings', () => {
  it('reads the LLM settings, stripping trailing slashes from the base URL', () => {
    const { llm } = loadConfig({ LLM_BASE_URL: 'https://api.example.com/v1//', LLM_API_KEY: 'sk-test' }, CWD);
    expect(llm).toEqual({
      baseUrl: 'https://api.example.com/v1',
      apiKey: 'sk-test',
      model: 'gpt-4o-mini',
      totalTimeoutMs: 20000,
      attemptTimeoutMs: 10000,
      retries: 2,
      maxRetryAfterMs: 5000,
      maxTokens: 400,
      maxConcurrency: 4,
      maxWaiting: 16,
    });
  });

  it('has a null API key when LLM_API_KEY is unset', () => {
    expect(loadConfig({ LLM_BASE_URL: 'http://127.0.0.1:8080/v1' }, CWD).llm?.apiKey).toBeNull();
  });

  it('clamps the per-attempt timeout to the total timeout', () => {
    const { llm } = loadConfig({ LLM_BASE_URL: 'http://localhost:1234/v1', LLM_TIMEOUT_MS: '3000', LLM_ATTEMPT_TIMEOUT_MS: '8000' }, CWD);
    expect(llm).toMatchObject({ totalTimeoutMs: 3000, attemptTimeoutMs: 3000 });
  });
});

describe('loadConfig rules', () => {
  it.each([
    ['PORT', 'abc', /must be an integer from 0 to 65535/],
    ['PORT', '70000', /must be an integer from 0 to 65535/],
    ['PORT', '-1', /must be an integer from 0 to 65535/],
    ['PORT', '3000.5', /must be an integer/],
    ['WARMUP', 'maybe', /must be true or false/],
    ['MODEL_DTYPE', 'int4', /must be one of q8, fp32/],
    ['LOG_LEVEL', 'verbose', /must be one of debug, info, warn, error/],
    ['ABSTAIN_MIN_COVERAGE', '2', /must be a number from 0 to 1/],
    ['ABSTAIN_MIN_SIMILARITY', 'high', /must be a number from -1 to 1/],
    ['ABSTAIN_MIN_KEYWORD_MATCH', '1.5', /must be a number from 0 to 1/],
    ['ABSTAIN_MIN_CORPUS_SIMILARITY', '-2', /must be a number from -1 to 1/],
    ['ABSTAIN_MAX_UNKNOWN_SHARE', 'half', /must be a number from 0 to 1/],
    ['LLM_BASE_URL', 'ftp://x', /must be an http\(s\) URL/],
    ['LLM_BASE_URL', 'not a url', /must be an http\(s\) URL/],
    ['WORKER_QUEUE_MAX', '0', /must be an integer from 1 to 10000/],
  ])('rejects %s=%s, naming the variable and the rule', (variable, value, rule) => {
    const error = configError({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.value).toBe(value);
    expect(error.message).toMatch(new RegExp(`^${variable} `));
    expect(error.message).toMatch(rule);
    expect(error.message).toContain(JSON.stringify(value));
    expect(error.name).toBe('ConfigError');
  });

  it('checks LLM variables only when LLM_BASE_URL is set', () => {
    expect(loadConfig({ LLM_RETRIES: 'lots' }, CWD).llm).toBeNull();
    const error = configError({ LLM_BASE_URL: 'http://localhost:1234/v1', LLM_RETRIES: 'lots' });
    expect(error.message).toMatch(/^LLM_RETRIES must be an integer from 0 to 10/);
  });

  it('rejects TOP_K above MAX_TOP_K', () => {
    const error = configError({ TOP_K: '30', MAX_TOP_K: '10' });
    expect(error.variable).toBe('TOP_K');
    expect(error.message).toMatch(/^TOP_K must not exceed MAX_TOP_K \(10\)/);
    expect(loadConfig({ TOP_K: '10', MAX_TOP_K: '10' }, CWD).answers).toMatchObject({ defaultTopK: 10, maxTopK: 10 });
  });
});

describe('.env.example', () => {
  // Commented out (`# KEY=`) where setting it would change behaviour: the abstention floors, which an index's own calibration supplies unless set.
  it('lists every variable of DEFAULTS and of the build step\'s BUILD_DEFAULTS as KEY= or # KEY= at the start of a line', async () => {
    const text = await readFile(path.resolve('.env.example'), 'utf8');
    const listed = new Set(text.split(/\r?\n/).flatMap((line) => /^(?:# )?([A-Z0-9_]+)=/.exec(line)?.[1] ?? []));
    const missing = [...Object.keys(DEFAULTS), ...Object.keys(BUILD_DEFAULTS)].filter((key) => !listed.has(key));
    expect(missing).toEqual([]);
  });
});
