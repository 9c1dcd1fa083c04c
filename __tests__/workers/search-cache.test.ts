import { describe, expect, it } from '@jest/globals';
import type { SearchHit, SearchOutput } from '../../workers/protocol.js';
import { SearchCache } from '../../workers/search-cache.js';

function output(text: string): SearchOutput {
  const hit = { id: 'a', source: 'a.md', title: 'A', headings: [], start: 0, end: text.length, text, score: 1, scores: {} } as SearchHit;
  return { hits: [hit], retrieval: 'hybrid', query: { unknownTerms: [], keywordMatch: 1, corpusSimilarity: 0.5 }, timings: { embedMs: 4, searchMs: 2 } };
}

describe('SearchCache', () => {
  it('embeds a question once, and answers an identical search again without searching', async () => {
    const cache = new SearchCache();
    let embedded = 0;
    const embed = async () => {
      embedded++;
      return new Float32Array([1, 0]);
    };
    await cache.vector('How much leave?', embed);
    await cache.vector('How much leave?', embed);
    expect(embedded).toBe(1);
    const request = { query: 'How much leave?', topK: 5 };
    expect(cache.result(request)).toBeUndefined();
    cache.remember(request, output('Twenty days.'));
    expect(cache.result(request)).toMatchObject({ hits: [{ text: 'Twenty days.' }], timings: { embedMs: 0, searchMs: 0 } });
    expect(cache.hits).toBe(1);
    expect(cache.misses).toBe(1);
  });

  it('tells searches apart by every field that changes the output', () => {
    const cache = new SearchCache();
    cache.remember({ query: 'leave', topK: 5 }, output('five'));
    for (const other of [{ query: 'leave', topK: 3 }, { query: 'leave', topK: 5, mode: 'lexical' as const }, { query: 'leave', topK: 5, filter: { source: 'hr/' } }, { query: 'leave', topK: 5, sentences: true }, { query: 'Leave', topK: 5 }]) {
      expect(cache.result(other)).toBeUndefined();
    }
  });

  it('is bounded in entries and in bytes, dropping the least recently used first', async () => {
    const cache = new SearchCache({ vectorEntries: 2, vectorBytes: 1_000_000, resultEntries: 3, resultBytes: 20_000 });
    for (const q of ['a', 'b', 'c']) await cache.vector(q, async () => new Float32Array(384));
    expect(cache.size.vectors).toBe(2);
    cache.remember({ query: 'a', topK: 5 }, output('x'));
    cache.remember({ query: 'b', topK: 5 }, output('x'));
    cache.result({ query: 'a', topK: 5 });
    cache.remember({ query: 'c', topK: 5 }, output('x'));
    cache.remember({ query: 'd', topK: 5 }, output('x'));
    expect(cache.size.results).toBe(3);
    expect(cache.result({ query: 'b', topK: 5 })).toBeUndefined();
    expect(cache.result({ query: 'a', topK: 5 })).toBeDefined();
    // Two long outputs of about 8 KB each: the third pushes the oldest out by size, not count.
    cache.remember({ query: 'long1', topK: 5 }, output('y'.repeat(4000)));
    cache.remember({ query: 'long2', topK: 5 }, output('y'.repeat(4000)));
    cache.remember({ query: 'long3', topK: 5 }, output('y'.repeat(4000)));
    expect(cache.size.resultBytes).toBeLessThanOrEqual(20_000);
    expect(cache.result({ query: 'long1', topK: 5 })).toBeUndefined();
    expect(cache.result({ query: 'long3', topK: 5 })).toBeDefined();
  });

  it('remembers nothing with zero entries, for benchmarks of the uncached cost', async () => {
    const cache = new SearchCache({ vectorEntries: 0, vectorBytes: 0, resultEntries: 0, resultBytes: 0 });
    let embedded = 0;
    for (let i = 0; i < 2; i++) await cache.vector('q', async () => (embedded++, new Float32Array(2)));
    cache.remember({ query: 'q', topK: 5 }, output('x'));
    expect(embedded).toBe(2);
    expect(cache.result({ query: 'q', topK: 5 })).toBeUndefined();
  });

  it('bounds the question vectors in bytes too: long questions of a big model push the oldest out', () => {
    // 768 floats (3,072 bytes) and a 500-character question (1,000 bytes) each: two fit in 10,000 bytes, not three.
    const cache = new SearchCache({ vectorEntries: 100, vectorBytes: 10_000, resultEntries: 1, resultBytes: 1 });
    const question = (n: number) => `${n} ${'x'.repeat(498)}`;
    for (const n of [1, 2, 3]) cache.rememberVector(question(n), new Float32Array(768).fill(n));
    expect(cache.size.vectors).toBe(2);
    expect(cache.size.vectorBytes).toBeLessThanOrEqual(10_000);
    expect(cache.knownVector(question(1))).toBeUndefined();
    expect(cache.knownVector(question(3))?.[0]).toBe(3);
  });

  it('keeps its own copy of a vector handed over from a batch, not the batch\'s whole buffer', () => {
    const cache = new SearchCache();
    const packed = new Float32Array(8 * 384).fill(0.5);
    cache.rememberVector('q', packed.subarray(384, 768));
    const kept = cache.knownVector('q')!;
    expect(kept.length).toBe(384);
    expect(kept.buffer.byteLength).toBe(384 * 4);
    expect(cache.hasResult({ query: 'q', topK: 5 })).toBe(false);
  });
});
