import { LRUCache } from 'lru-cache';
import type { SearchOutput, SearchRequest } from './protocol.js';

/** Bounds of the two caches, in entries and bytes; the bytes bound wins for long passages. */
export interface SearchCacheLimits {
  vectorEntries: number;
  vectorBytes: number;
  resultEntries: number;
  resultBytes: number;
}

/** A few hundred questions: a company's frequent questions fit, and the whole costs at most a few MB. */
export const DEFAULT_CACHE_LIMITS: SearchCacheLimits = { vectorEntries: 512, vectorBytes: 1024 * 1024, resultEntries: 256, resultBytes: 4 * 1024 * 1024 };

/**
 * What one worker remembers of recent questions, for the index generation it serves (a new
 * generation means a new worker, so a swap starts empty): each question's vector, and each whole
 * search. Bounded in entries and bytes, least recently used first out. Repeated questions (a
 * company's frequent questions) then cost neither the model nor the scan.
 */
export class SearchCache {
  private readonly vectors: LRUCache<string, Float32Array>;
  private readonly results: LRUCache<string, SearchOutput>;
  hits = 0;
  misses = 0;

  /** Zero entries: a cache that remembers nothing (benchmarks of the uncached cost). */
  constructor(limits: SearchCacheLimits = DEFAULT_CACHE_LIMITS) {
    this.vectors = new LRUCache({ max: Math.max(1, limits.vectorEntries), maxSize: Math.max(1, limits.vectorBytes), sizeCalculation: vectorBytes });
    this.results = new LRUCache({ max: Math.max(1, limits.resultEntries), maxSize: Math.max(1, limits.resultBytes), sizeCalculation: outputBytes });
    this.enabled = { vectors: limits.vectorEntries > 0 && limits.vectorBytes > 0, results: limits.resultEntries > 0 && limits.resultBytes > 0 };
  }

  private readonly enabled: { vectors: boolean; results: boolean };

  /** The question's vector from an earlier search, or `embed`'s. */
  async vector(question: string, embed: () => Promise<Float32Array>): Promise<Float32Array> {
    const known = this.vectors.get(question);
    if (known) return known;
    const vector = await embed();
    this.rememberVector(question, vector);
    return vector;
  }

  /** The question's vector from an earlier search, if still held. */
  knownVector(question: string): Float32Array | undefined {
    return this.vectors.get(question);
  }

  /** Keep a question's vector (a batch embeds several at once); a copy, so a batch's packed buffer is not held whole. */
  rememberVector(question: string, vector: Float32Array): void {
    if (this.enabled.vectors) this.vectors.set(question, vector.slice());
  }

  /** Whether an identical search would be answered from memory, without counting or refreshing it. */
  hasResult(request: SearchRequest): boolean {
    return this.results.has(keyOf(request));
  }

  /** An identical earlier search's output, with its timings zeroed (nothing was embedded or scanned). */
  result(request: SearchRequest): SearchOutput | undefined {
    const known = this.results.get(keyOf(request));
    if (known) this.hits++;
    else this.misses++;
    return known && { ...known, timings: { embedMs: 0, searchMs: 0 } };
  }

  remember(request: SearchRequest, output: SearchOutput): void {
    if (this.enabled.results) this.results.set(keyOf(request), output);
  }

  get size(): { vectors: number; vectorBytes: number; results: number; resultBytes: number } {
    return { vectors: this.vectors.size, vectorBytes: this.vectors.calculatedSize, results: this.results.size, resultBytes: this.results.calculatedSize };
  }
}

function keyOf({ query, topK, filter, mode, sentences }: SearchRequest): string {
  return JSON.stringify([query, topK, filter?.source ?? null, mode ?? null, sentences ?? false]);
}

/** A vector's floats, plus its question (the key, two bytes a character) and the entry's own cost. */
function vectorBytes(vector: Float32Array, question: string): number {
  return vector.byteLength + 2 * question.length + 64;
}

/** Roughly what an output holds: its passages' text (two bytes a character), plus a fixed cost per hit and sentence. */
function outputBytes(output: SearchOutput): number {
  let bytes = 256;
  for (const hit of output.hits) bytes += 2 * (hit.text.length + hit.source.length + hit.title.length + hit.headings.join('').length) + 256;
  for (const sentence of Object.keys(output.sentenceSimilarity ?? {})) bytes += 2 * sentence.length + 32;
  return bytes;
}
