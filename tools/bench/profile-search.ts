#!/usr/bin/env node
/**
 * `node --cpu-prof --cpu-prof-dir <dir> dist/tools/bench/profile-search.js --index <folder> [--batch 16] [--searches 2000]`:
 * the worker's search path run directly in one thread (no Piscina, no HTTP), so a CPU profile shows
 * where a search's time goes: the same Retriever and batch code the worker runs, fed distinct questions.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { searchBatch } from '../../workers/batch-search.js';
import { Embedder } from '../../workers/embedder.js';
import { Retriever } from '../../workers/retriever.js';
import { loadQuestions } from './memory-target.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const { values } = parseArgs({
  options: {
    index: { type: 'string' },
    model: { type: 'string', default: 'Synthetic/random-minilm-l6' },
    'model-dir': { type: 'string', default: path.join(root, '../shared/models') },
    batch: { type: 'string', default: '16' },
    searches: { type: 'string', default: '2000' },
    sentences: { type: 'boolean', default: false },
  },
});
if (!values.index) throw new Error('usage: profile-search --index <folder> [--batch 16] [--searches 2000] [--sentences]');
const embedder = await Embedder.load({ model: values.model, modelDir: path.resolve(values['model-dir']), allowRemote: false, dtype: 'q8' });
const retriever = await Retriever.open({ indexDir: path.resolve(values.index), embedder, cacheEntries: 0 });
const questions = loadQuestions(root);
const batch = Number(values.batch);
const total = Number(values.searches);
const started = performance.now();
const cpu = process.cpuUsage();
for (let at = 0; at < total; at += batch) {
  const searches = Array.from({ length: Math.min(batch, total - at) }, (_, i) => ({ query: `${questions[(at + i) % questions.length]!} ${Math.floor((at + i) / questions.length)}`, topK: 5, ...(values.sentences ? { sentences: true } : {}) }));
  if (batch === 1) await retriever.search(searches[0]!);
  else await searchBatch(retriever, searches);
}
const used = process.cpuUsage(cpu);
const wall = performance.now() - started;
console.log(`${total} searches in batches of ${batch}: ${(wall / total).toFixed(2)} ms wall, ${((used.user + used.system) / 1000 / total).toFixed(2)} CPU ms a search`);
