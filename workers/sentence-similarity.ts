import { quotableSentences } from '../text/sentences.js';
import type { Embedder } from './embedder.js';
import type { SearchHit } from './protocol.js';

/** Dot product of two vectors of the same length (their cosine when both are unit length). */
export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let d = 0; d < a.length; d++) sum += a[d]! * b[d]!;
  return sum;
}

/**
 * Cosine between the question and each distinct quotable sentence of the hits (unit vectors: a dot
 * product), for an extractive answer. The same for every store: the sentences come from the hits' text.
 */
export async function sentenceSimilarity(embedder: Embedder, hits: SearchHit[], queryVector: Float32Array): Promise<Record<string, number>> {
  const texts = [...new Set(hits.flatMap((hit) => quotableSentences(hit.text)))];
  const similarity: Record<string, number> = {};
  if (!texts.length) return similarity;
  const { dimensions } = embedder;
  const vectors = await embedder.embed(texts);
  texts.forEach((text, i) => (similarity[text] = dot(queryVector, vectors.subarray(i * dimensions, (i + 1) * dimensions))));
  return similarity;
}
