import { quotableSentences } from '../text/sentences.js';
import { rowCosines, type SentenceVectors } from '../store/sentence-vectors.js';
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

/**
 * The same cosines from the sentence vectors the build stored (no model call): each hit's chunk
 * `row` is read by offset and paired with its sentences as the splitter returns them. Null when a
 * chunk holds another number of rows than its text has sentences (the caller then embeds them).
 */
export function storedSentenceSimilarity(stored: SentenceVectors, hits: readonly { row: number; text: string }[], queryVector: Float32Array): Record<string, number> | null {
  const similarity: Record<string, number> = {};
  for (const { row, text } of hits) {
    const sentences = quotableSentences(text);
    if (stored.count(row) !== sentences.length) return null;
    if (!sentences.length) continue;
    const cosines = rowCosines(stored.read(row), queryVector);
    sentences.forEach((sentence, i) => (similarity[sentence] ??= cosines[i]!));
  }
  return similarity;
}
