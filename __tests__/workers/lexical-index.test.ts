import { describe, expect, it } from '@jest/globals';
import type { ChunkRecord } from '../../store/chunk-record.js';
import { IndexCorruptError } from '../../store/errors.js';
import { buildLexicalIndex, LexicalIndex, MAX_FUZZY_TERMS, MAX_QUERY_TERMS, withinOneEdit } from '../../workers/lexical-index.js';

function chunk(text: string, headings: string[] = [], title = 'Handbook'): ChunkRecord {
  return { id: text.slice(0, 8), source: 'a.md', title, headings, start: 0, end: text.length, text, tokens: 0 };
}

const CHUNKS = [
  chunk('Reserve a desk in the Portland office through the booking page a day ahead.', ['Desks']),
  chunk('How we do things here: we write it down, and we do it in the open.', ['Culture']),
  chunk('Parental leave is sixteen weeks at full pay for every parent.', ['Parental leave']),
  chunk('Expenses over 75 dollars need a receipt; approvals come from your manager.', ['Expenses']),
  chunk('The HR team answers questions about benefits.', ['People team']),
];
const index = LexicalIndex.load(buildLexicalIndex(CHUNKS));
const rows = (query: string, limit = 5, accept?: (row: number) => boolean) => index.search(query, limit, accept).hits.map((h) => h.row);
const profile = (query: string) => index.search(query, 5).profile;

describe('LexicalIndex (BM25)', () => {
  it('searches the content words only: stopwords do not pull in passages made of them', () => {
    const found = rows('how do I reserve a desk');
    expect(found[0]).toBe(0);
    // Chunk 1 is full of "how", "do", "we", "it": it must not match at all.
    expect(found).not.toContain(1);
    expect(rows('how do we do it')).toEqual([]);
  });

  it("treats contractions of stopwords as stopwords: a question's \"don't\" is neither searched nor unknown", () => {
    expect(rows("why don't I reserve a desk, can't I? I'm sure they're free")).toEqual(rows('reserve desk sure free'));
    expect(profile("don't I reserve a desk").unknownTerms).toEqual([]);
  });

  it('folds plurals and endings, and weighs headings', () => {
    expect(rows('approved expense receipts')[0]).toBe(3);
    expect(rows('parental')[0]).toBe(2);
  });

  it('keeps two-letter acronyms and numbers', () => {
    expect(rows('HR')).toEqual([4]);
    expect(rows('75')).toEqual([3]);
  });

  it('matches a typo in a long word to a known word one edit away', () => {
    expect(rows('parentla leave')[0]).toBe(2);
    expect(rows('Portlnad')).toEqual([0]);
  });

  it('honours the row filter and the limit', () => {
    expect(rows('desk leave receipt', 2)).toHaveLength(2);
    expect(rows('desk leave receipt', 5, (row) => row === 2)).toEqual([2]);
  });

  it('profiles a query: unknown terms (typos of known words are not), and the most it could score', () => {
    const found = profile('parentla leave for my kubernetes cluster, please');
    expect(found.terms).toEqual(['parentla', 'leav', 'kubernet', 'cluster']);
    expect(found.unknownTerms).toEqual(['kubernet', 'cluster']);
    // Five chunks: "leav" is in one, the three others in none; each term counts at idf × (k1 + 1).
    const idf = (n: number) => Math.log(1 + (5 - n + 0.5) / (n + 0.5));
    expect(found.maxScore).toBeCloseTo((idf(1) + 3 * idf(0)) * 2.2, 6);
    expect(profile('how do we do it')).toEqual({ terms: [], unknownTerms: [], maxScore: 0 });
  });

  it('never scores a chunk above the profile\'s maximum', () => {
    for (const question of ['parental leave', 'desk desk desk Portland', 'HR benefits questions']) {
      const { hits, profile: ceiling } = index.search(question, 1);
      expect(hits[0]!.score).toBeLessThanOrEqual(ceiling.maxScore);
    }
  });

  it('bounds the work a question costs: its first terms are searched, and a few unknown ones looked up for typos', () => {
    // Invented words, each 8 letters: every one is unknown and long enough for a typo lookup.
    const invented = Array.from({ length: 300 }, (_, i) => `zq${(i * 7919).toString(36).padStart(6, 'x')}`);
    const found = profile(invented.join(' '));
    expect(found.terms).toHaveLength(MAX_QUERY_TERMS);
    expect(found.unknownTerms).toHaveLength(MAX_QUERY_TERMS);
    // A typo after the lookups are spent is an unknown word, not a match.
    const late = [...invented.slice(0, MAX_FUZZY_TERMS), 'parentla'].join(' ');
    expect(profile(late).unknownTerms).toContain('parentla');
    expect(profile([...invented.slice(0, MAX_FUZZY_TERMS - 1), 'parentla'].join(' ')).unknownTerms).not.toContain('parentla');
  });

  it('looks a typo up among known words of nearby length only, so a large vocabulary stays fast (generous bound for a busy machine)', () => {
    // 200,000 distinct known terms: a whole-vocabulary scan per invented word took seconds for this question.
    const vocabulary = Array.from({ length: 2000 }, (_, i) => chunk(Array.from({ length: 100 }, (_, j) => `w${(i * 100 + j).toString(36)}q`).join(' ')));
    const big = LexicalIndex.load(buildLexicalIndex(vocabulary));
    const question = Array.from({ length: 250 }, (_, i) => `nonsense${i.toString(36)}word`).join(' ');
    const started = performance.now();
    for (let i = 0; i < 20; i++) big.search(question, 10);
    expect((performance.now() - started) / 20).toBeLessThan(250);
  });

  it('refuses an index in another format with a message that says to rebuild', () => {
    // The JSON format this binary one replaced.
    const json = Buffer.from('{"format":"rag512-bm25/1","lengths":[],"postings":{}}');
    expect(() => LexicalIndex.load(json, '/idx/gen-1')).toThrow(IndexCorruptError);
    expect(() => LexicalIndex.load(json, '/idx/gen-1')).toThrow(/rebuild/);
    const header = Buffer.from(JSON.stringify({ format: 'rag512-bm25/1', rows: 0, terms: 0, postings: 0, vocabularyBytes: 0 }));
    const older = Buffer.concat([Buffer.from(new Uint32Array([header.length]).buffer), header]);
    expect(() => LexicalIndex.load(older, '/idx/gen-1')).toThrow(/format "rag512-bm25\/1", expected rag512-bm25\/2/);
    const whole = buildLexicalIndex(CHUNKS);
    expect(() => LexicalIndex.load(whole.subarray(0, whole.length - 8), '/idx/gen-1')).toThrow(/truncated/);
  });
});

describe('withinOneEdit', () => {
  it.each([
    ['parental', 'parentla', true],
    ['portland', 'portlnd', true],
    ['leave', 'leaves', true],
    ['travel', 'gravel', true],
    ['travel', 'trouble', false],
    ['abc', 'cba', false],
  ])('%s ~ %s: %s', (a, b, expected) => expect(withinOneEdit(a, b)).toBe(expected));

  it('answers as the definition does for every pair of short words over a small alphabet', () => {
    // The definition: some single edit of `a` (insert, delete, substitute, swap neighbours) gives `b`.
    const letters = 'abc';
    const edits = (word: string) => {
      const out = new Set([word]);
      for (let i = 0; i <= word.length; i++) {
        for (const letter of letters) out.add(word.slice(0, i) + letter + word.slice(i));
        if (i < word.length) {
          out.add(word.slice(0, i) + word.slice(i + 1));
          for (const letter of letters) out.add(word.slice(0, i) + letter + word.slice(i + 1));
        }
        if (i + 1 < word.length) out.add(word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2));
      }
      return out;
    };
    const words = [''];
    for (let length = 1; length <= 4; length++) for (const word of words.filter((w) => w.length === length - 1)) for (const letter of letters) words.push(word + letter);
    let near = 0;
    const wrong: string[] = [];
    for (const a of words) {
      const reachable = edits(a);
      for (const b of words) {
        if (withinOneEdit(a, b) !== reachable.has(b)) wrong.push(`${a} ~ ${b}`);
        if (reachable.has(b)) near++;
      }
    }
    expect(wrong).toEqual([]);
    expect(near).toBeGreaterThan(words.length);
  });
});
