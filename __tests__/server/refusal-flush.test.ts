import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { prebuild } from '../../indexing/prebuild.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { startService } from '../../server/service.js';
import { SAMPLE_CORPUS, SHARED_MODELS, TINY_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

const WORKER = path.resolve('dist/workers/worker.js');

describe('the refusal log at shutdown', () => {
  it('writes the count of refusals it left out, which the 10 s interval would never reach once the process stops', async () => {
    const { dir, cleanup } = await tempDir();
    const lines: { message?: string; total?: number; counts?: Record<string, number> }[] = [];
    const log = createLogger('info', (line) => lines.push(JSON.parse(line) as (typeof lines)[number]));
    try {
      const indexDir = path.join(dir, 'index');
      await prebuild({ docsDir: path.join(SAMPLE_CORPUS, 'leave'), outDir: indexDir, embedding: TINY_MODEL, vectraExport: false, calibration: false });
      const config = loadConfig({
        PORT: '0', HOST: '127.0.0.1', INDEX_DIR: indexDir, MODEL_DIR: SHARED_MODELS, EMBEDDING_MODEL: TINY_MODEL.model,
        WORKER_RECYCLE_RSS_MB: '8000', MEMORY_LIMIT_MB: '100000',
      });
      const service = await startService(config, { log, version: 'test', workerFile: WORKER });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await fetch(`${service.url}/no/such/page/${i}`)).status);
      expect(statuses).toEqual(Array<number>(6).fill(404));
      expect(lines.filter((line) => line.message === 'refusals not logged')).toEqual([]);
      await service.shutdown(5000);
      const summaries = lines.filter((line) => line.message === 'refusals not logged');
      expect(summaries).toHaveLength(1);
      expect(summaries[0]).toMatchObject({ total: 5 });
      expect(Object.values(summaries[0]!.counts ?? {})).toEqual([5]);
    } finally {
      await cleanup();
    }
  }, 60_000);
});
