import path from 'node:path';
import type { EmbeddingConfig } from '../../workers/model-config.js';

/** The workplace's offline models (see ../shared/models/README.md). */
export const SHARED_MODELS = path.resolve(process.env.SHARED_MODELS ?? '../shared/models');
export const SAMPLE_CORPUS = path.resolve('corpus/handbook');
export const HANDBOOK_18F = path.resolve(SHARED_MODELS, '../corpora/18f-handbook/pages');

function config(model: string): EmbeddingConfig {
  return { model, modelDir: SHARED_MODELS, allowRemote: false, dtype: 'q8' };
}

/** Trained meaning: for anything about relevance. */
export const STATIC_MODEL = config('local/static-use-wordpiece-512');
/** Random weights, 2 layers: for fast plumbing. */
export const TINY_MODEL = config('Synthetic/tiny-random-bert');
/** all-MiniLM-L6-v2's shape and cost, random weights: for memory and speed. */
export const MINILM_SHAPED_MODEL = config('Synthetic/random-minilm-l6');

export { DEFAULT_FUSION as FUSION } from '../../workers/fusion.js';
