import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { loadConfig } from '../../server/config.js';
import { silentLogger } from '../../server/logger.js';
import { startService, type Service } from '../../server/service.js';
import { prebuild } from '../../indexing/prebuild.js';
import { completion, FakeLlm } from '../helpers/fake-llm.js';
import { SAMPLE_CORPUS, SHARED_MODELS, STATIC_MODEL } from '../helpers/models.js';
import { parsePrometheusText, type MetricFamily } from '../helpers/prometheus-text.js';
import { tempDir } from '../helpers/temp.js';

const WORKER = path.resolve('dist/workers/worker.js');

/** The value of the sample `name` (by default the family's own) whose labels include `labels`. */
function value(families: Map<string, MetricFamily>, family: string, labels: Record<string, string> = {}, name = family): number | undefined {
  return families.get(family)?.samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, v]) => sample.labels[key] === v))?.value;
}

describe('the metrics of a real service: worker timings, LLM calls and abstentions', () => {
  const llm = new FakeLlm();
  let service: Service;
  let cleanup: () => Promise<void>;
  const scrape = async () => parsePrometheusText(await (await fetch(`${service.url}/metrics`)).text());
  const ask = (question: string) => fetch(`${service.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) }).then((res) => res.json() as Promise<{ mode: string }>);

  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    const indexDir = path.join(dir, 'index');
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
    await llm.start();
    const config = loadConfig({
      PORT: '0', HOST: '127.0.0.1', INDEX_DIR: indexDir, MODEL_DIR: SHARED_MODELS, EMBEDDING_MODEL: STATIC_MODEL.model,
      LLM_BASE_URL: llm.url, LLM_API_KEY: 'sk-test', LLM_RETRIES: '0',
      WORKER_RECYCLE_RSS_MB: '8000', MEMORY_LIMIT_MB: '100000',
    });
    service = await startService(config, { log: silentLogger, version: 'test', workerFile: WORKER });
  }, 120_000);

  afterAll(async () => {
    await service?.shutdown(5000);
    await llm.stop();
    await cleanup();
  });

  it('times searches in the worker (queue, embedding, retrieval)', async () => {
    expect((await fetch(`${service.url}/api/search?q=vacation%20days`)).status).toBe(200);
    const families = await scrape();
    expect(value(families, 'rag512_embedding_seconds', {}, 'rag512_embedding_seconds_count')).toBe(1);
    expect(value(families, 'rag512_retrieval_seconds', { retrieval: 'hybrid' }, 'rag512_retrieval_seconds_count')).toBe(1);
    expect(value(families, 'rag512_worker_queue_wait_seconds', {}, 'rag512_worker_queue_wait_seconds_count')).toBe(1);
    expect(value(families, 'http_request_duration_seconds', { route: '/api/search', status: '200', le: '+Inf' }, 'http_request_duration_seconds_bucket')).toBe(1);
  });

  it('times LLM calls, counts their failures by kind, and counts abstentions by cause', async () => {
    llm.reset([{ body: completion('Full-time employees get 25 vacation days [1].') }]);
    expect((await ask('How many vacation days do I get each year?')).mode).toBe('llm');
    llm.reset([{ status: 500, body: { error: { message: 'boom' } } }]);
    expect((await ask('How many vacation days do I get each year?')).mode).toBe('extractive');
    llm.reset([{ body: completion('[NOT_IN_PASSAGES]') }]);
    expect((await ask('How many vacation days do I get each year?')).mode).toBe('abstain');
    expect((await ask('What is the capital of Australia?')).mode).toBe('abstain');
    const families = await scrape();
    expect(value(families, 'rag512_llm_duration_seconds', { outcome: 'ok' }, 'rag512_llm_duration_seconds_count')).toBe(2);
    expect(value(families, 'rag512_llm_duration_seconds', { outcome: 'http' }, 'rag512_llm_duration_seconds_count')).toBe(1);
    expect(value(families, 'rag512_llm_time_to_first_token_seconds', {}, 'rag512_llm_time_to_first_token_seconds_count')).toBe(2);
    expect(value(families, 'rag512_llm_errors_total', { kind: 'http' })).toBe(1);
    expect(value(families, 'rag512_abstentions_total', { cause: 'llm' })).toBe(1);
    expect(value(families, 'rag512_abstentions_total', { cause: 'relevance' })).toBe(1);
    expect(value(families, 'rag512_answers_total', { mode: 'extractive' })).toBe(1);
  });
});
