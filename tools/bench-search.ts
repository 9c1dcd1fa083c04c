/**
 * `npm run bench:search -- <index folder> [model]`: starts the real worker in a Piscina pool, asks
 * one question (cold: model and index load), then 200 more, and prints latency and process RSS.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { SearchOutput, WorkerConfig, WorkerResult } from '../workers/protocol.js';
import { BENCH_MODEL, modelSettings } from './cli-env.js';

const [indexDir, model = BENCH_MODEL.model] = process.argv.slice(2);
if (!indexDir) throw new Error('usage: npm run bench:search -- <index folder> [model]');
const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;
const workerData: WorkerConfig = {
  indexDir: path.resolve(indexDir),
  embedding: { model, modelDir: modelSettings({}, process.env, BENCH_MODEL.modelDir).modelDir, allowRemote: false, dtype: 'q8' },
};
const filename = path.join(path.dirname(fileURLToPath(import.meta.url)), '../workers/worker.js');
console.log(`main thread before the pool: ${mb(process.memoryUsage().rss)}`);
const pool = new Piscina({ filename, maxThreads: 1, workerData, resourceLimits: { maxOldGenerationSizeMb: 128 } });
const search = async (query: string) => (await pool.run({ task: 'search', query, topK: 8 })) as WorkerResult<SearchOutput>;
let started = performance.now();
const first = await search('How many days of annual leave do employees get?');
if (!first.ok) throw new Error(first.message);
console.log(`first search (loads model and index): ${Math.round(performance.now() - started)} ms, RSS ${mb(process.memoryUsage().rss)}, worker heap ${mb(first.memory.heapUsedBytes)}, ${first.value.retrieval}`);
const times: number[] = [];
for (let i = 0; i < 200; i++) {
  started = performance.now();
  await search(`question ${i} about travel expenses and per diem rates for trips`);
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
console.log(`200 searches: p50 ${times[100]!.toFixed(1)} ms, p95 ${times[190]!.toFixed(1)} ms, RSS ${mb(process.memoryUsage().rss)}`);
await pool.destroy();
