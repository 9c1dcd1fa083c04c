/**
 * `npm run bench:pooling`: our mean pooling against the library pipeline's, same model, same
 * batches of handbook-length text. Prints the time of each and the largest difference in the vectors.
 */
import { env, pipeline } from '@huggingface/transformers';
import { Embedder } from '../workers/embedder.js';
import { BENCH_MODEL, modelSettings } from './cli-env.js';

const { model = BENCH_MODEL.model, modelDir } = modelSettings({}, process.env, BENCH_MODEL.modelDir);
const batches = 10;
const batchSize = 32;
const texts = Array.from({ length: batchSize }, (_, i) => `Passage ${i}: ${'employees may carry over unused vacation days into the next year '.repeat(1 + (i % 6))}`);

const embedder = await Embedder.load({ model, modelDir, allowRemote: false, dtype: 'q8' });
env.localModelPath = `${modelDir}/`;
env.allowRemoteModels = false;
const extractor = await pipeline('feature-extraction', model, { dtype: 'q8', session_options: { intraOpNumThreads: 1, interOpNumThreads: 1, enableCpuMemArena: false } });

let ours = 0;
let theirs = 0;
let maxDiff = 0;
for (let b = 0; b < batches; b++) {
  let t = performance.now();
  const a = await embedder.embed(texts, batchSize);
  ours += performance.now() - t;
  t = performance.now();
  const reference = (await extractor(texts, { pooling: 'mean', normalize: true })).data as Float32Array;
  theirs += performance.now() - t;
  for (let i = 0; i < reference.length; i++) maxDiff = Math.max(maxDiff, Math.abs(reference[i]! - a[i]!));
}
console.log(`${model}: ${batches} batches of ${batchSize}`);
console.log(`  own pooling  ${(ours / batches).toFixed(1)} ms/batch (model run included)`);
console.log(`  pipeline     ${(theirs / batches).toFixed(1)} ms/batch`);
console.log(`  max |difference| ${maxDiff.toExponential(2)}`);
