import { describe, expect, it } from '@jest/globals';
import { random } from '../../tools/bench/scale-corpus.js';
import { B, bestScoredRows, K1, KEPT_POSTINGS, ScoringScratch, type TermPostings } from '../../workers/lexical-scoring.js';

/** The reference: every posting scored into a fresh Float32Array, every row sorted by (score, row). */
function reference(terms: readonly TermPostings[], lengths: Float32Array, averageLength: number, limit: number, accept?: (row: number) => boolean): { row: number; score: number }[] {
  const scores = new Float32Array(lengths.length);
  for (const term of terms) {
    term.rows.forEach((row, p) => {
      const tf = term.tfs[p]!;
      const norm = K1 * (1 - B + (B * lengths[row]!) / averageLength);
      scores[row]! += term.weight * term.idf * ((tf * (K1 + 1)) / (tf + norm));
    });
  }
  return [...scores]
    .map((score, row) => ({ row, score }))
    .filter(({ row, score }) => score > 0 && (!accept || accept(row)))
    .sort((a, b) => b.score - a.score || a.row - b.row)
    .slice(0, limit);
}

/** A random corpus: `rows` rows, terms of every frequency from a handful of rows to most of them, tfs in tenths as the index rounds them. */
function corpus(rows: number, termCount: number, seed: number): { lengths: Float32Array; averageLength: number; terms: TermPostings[] } {
  const next = random(seed);
  const lengths = Float32Array.from({ length: rows }, () => Math.round((20 + next() * 200) * 10) / 10);
  const averageLength = lengths.reduce((a, b) => a + b, 0) / rows;
  const terms = Array.from({ length: termCount }, (_, t) => {
    const share = [0.001, 0.01, 0.1, 0.5, 0.9][t % 5]!;
    const held = [...Array(rows).keys()].filter(() => next() < share);
    // Few distinct tfs, so that ties between rows are common and their order is tested.
    const tfs = Float32Array.from(held, () => [1, 1, 1.5, 2.2, 3][Math.floor(next() * 5)]!);
    const idf = Math.log(1 + (rows - held.length + 0.5) / (held.length + 0.5));
    return { rows: Uint32Array.from(held), tfs, weight: t % 7 === 6 ? 0.5 : 1, idf };
  });
  return { lengths, averageLength, terms };
}

describe('bestScoredRows', () => {
  it('gives the same rows and scores, to the bit, as scoring every posting of every row, for queries of rare and common terms', () => {
    const { lengths, averageLength, terms } = corpus(3000, 20, 7);
    const scratch = new ScoringScratch(lengths, averageLength);
    const next = random(11);
    for (let query = 0; query < 60; query++) {
      const picked = Array.from({ length: 1 + Math.floor(next() * 6) }, () => terms[Math.floor(next() * terms.length)]!);
      const unique = [...new Set(picked)];
      for (const limit of [1, 5, 50, 5000]) {
        expect(bestScoredRows(unique, limit, undefined, scratch)).toEqual(reference(unique, lengths, averageLength, limit));
      }
    }
  });

  it('honours the row filter, and leaves its scratch clean for the next search', () => {
    const { lengths, averageLength, terms } = corpus(2000, 10, 3);
    const scratch = new ScoringScratch(lengths, averageLength);
    const even = (row: number) => row % 2 === 0;
    const query = [terms[2]!, terms[3]!, terms[0]!];
    expect(bestScoredRows(query, 20, even, scratch)).toEqual(reference(query, lengths, averageLength, 20, even));
    expect(bestScoredRows(query, 20, even, scratch).every(({ row }) => even(row))).toBe(true);
    expect(scratch.scores.every((score) => score === 0)).toBe(true);
    expect(bestScoredRows([terms[4]!], 10, undefined, scratch)).toEqual(reference([terms[4]!], lengths, averageLength, 10));
  });

  it('finds nothing for no terms or no room', () => {
    const { lengths, averageLength, terms } = corpus(100, 5, 1);
    const scratch = new ScoringScratch(lengths, averageLength);
    expect(bestScoredRows([], 10, undefined, scratch)).toEqual([]);
    expect(bestScoredRows(terms, 0, undefined, scratch)).toEqual([]);
  });
});

describe('ScoringScratch.postingSpace', () => {
  it('keeps one room between searches, grows it to the largest asked for up to KEPT_POSTINGS, and gives a larger search room of its own', () => {
    const scratch = new ScoringScratch(new Float32Array(10).fill(1), 1);
    const first = scratch.postingSpace(1000);
    expect(first.rows).toHaveLength(1000);
    expect(first.tfs).toHaveLength(1000);
    first.rows[0] = 7;
    // Smaller: the same memory again, no allocation.
    expect(scratch.postingSpace(10).rows.buffer).toBe(first.rows.buffer);
    const grown = scratch.postingSpace(5000);
    expect(grown.rows.buffer).not.toBe(first.rows.buffer);
    expect(scratch.postingSpace(3000).rows.buffer).toBe(grown.rows.buffer);
    const huge = scratch.postingSpace(KEPT_POSTINGS + 1);
    expect(huge.rows).toHaveLength(KEPT_POSTINGS + 1);
    // Not kept: the next search is back in the kept room.
    expect(scratch.postingSpace(3000).rows.buffer).toBe(grown.rows.buffer);
  });
});
