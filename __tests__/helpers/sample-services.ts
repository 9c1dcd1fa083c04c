import path from 'node:path';
import { prebuild } from '../../indexing/prebuild.js';
import { loadConfig } from '../../server/config.js';
import { silentLogger } from '../../server/logger.js';
import { startService, type Service } from '../../server/service.js';
import { SAMPLE_CORPUS, SHARED_MODELS, STATIC_MODEL } from './models.js';
import { tempDir } from './temp.js';

const WORKER = path.resolve('dist/workers/worker.js');

export interface SampleServices {
  /** Answers through the LLM at `llmUrl`. */
  withLlm: Service;
  /** No LLM configured: extractive answers. */
  withoutLlm: Service;
  close(): Promise<void>;
}

/**
 * Two real services (real worker, the static model) over one index of the sample handbook: one
 * with the (fake) LLM at `llmUrl`, one without an LLM. `env` adds or overrides variables of both.
 */
export async function startSampleServices(llmUrl: string, env: Record<string, string> = {}): Promise<SampleServices> {
  const { dir, cleanup } = await tempDir();
  const indexDir = path.join(dir, 'index');
  await prebuild({ docsDir: SAMPLE_CORPUS, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
  const config = (llm: boolean) =>
    loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      INDEX_DIR: indexDir,
      MODEL_DIR: SHARED_MODELS,
      EMBEDDING_MODEL: STATIC_MODEL.model,
      ...(llm ? { LLM_BASE_URL: llmUrl, LLM_API_KEY: 'sk-test', LLM_MODEL: 'fake-model', LLM_TIMEOUT_MS: '20000', LLM_RETRIES: '1', LLM_MAX_RETRY_AFTER_MS: '300' } : {}),
      // Jest's own process is large; keep the RSS-triggered recycle out of the tests' way.
      WORKER_RECYCLE_RSS_MB: '8000',
      MEMORY_LIMIT_MB: '100000',
      ...env,
    });
  const withLlm = await startService(config(true), { log: silentLogger, version: 'test', workerFile: WORKER });
  const withoutLlm = await startService(config(false), { log: silentLogger, version: 'test', workerFile: WORKER });
  return {
    withLlm,
    withoutLlm,
    close: async () => {
      await Promise.all([withLlm.shutdown(5000), withoutLlm.shutdown(5000)]);
      await cleanup();
    },
  };
}
