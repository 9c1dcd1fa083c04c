import type { ChunkRecord } from '../store/chunk-record.js';
import { IndexCorruptError } from '../store/errors.js';
import { keywordStems } from '../text/terms.js';

/**
 * Keyword search (BM25) over the chunks, in typed arrays. It replaced MiniSearch: for the 18F
 * handbook MiniSearch's tree of objects cost 38 MB of the worker's heap once loaded and allocated
 * heavily per fuzzy query, where these arrays take about 3 MB. Words are the answer side's own
 * (terms.ts): stopwords dropped (a question of stopwords alone finds nothing here), plurals and endings folded, so "how do I reserve a desk" searches
 * for "reserv" and "desk" only.
 */
const FORMAT = 'rag512-bm25/1';
/** Where a word appears changes its weight: a heading names what a passage is about. */
const FIELD_WEIGHTS = { title: 1.2, headings: 1.5, text: 1 } as const;
const K1 = 1.2;
const B = 0.75;
/** Unknown words this long are matched to known words one edit away (typos), at this share of the weight. */
const FUZZY_MIN_LENGTH = 6;
const FUZZY_WEIGHT = 0.5;
/**
 * Per-question work is bounded whatever the input: a question's first MAX_QUERY_TERMS distinct
 * terms are searched, and at most MAX_FUZZY_TERMS unknown ones are looked up for typos (each a scan
 * of the known terms within one letter of its length). A 2,000-character question of invented
 * words cost 25-680 ms of typo matching before; a person's question has a handful of terms.
 */
export const MAX_QUERY_TERMS = 48;
export const MAX_FUZZY_TERMS = 4;

/** How a query stands against the index as a whole, whatever passages it finds (abstention signals). */
export interface QueryProfile {
  /** The query's distinct keyword terms (stems). */
  terms: string[];
  /** Terms no chunk holds, not even one edit away: words the documents never use. */
  unknownTerms: string[];
  /**
   * The BM25 score of a chunk holding every term at saturation, Σ idf × (k1 + 1): the ceiling the
   * best hit's score is measured against. A term no chunk holds counts at the idf of such a term, so
   * words the documents never use pull the ratio down.
   */
  maxScore: number;
}

interface Serialized {
  format: string;
  /** Weighted length of each chunk, in chunk row order. */
  lengths: number[];
  /** term → [row, weighted frequency, row, weighted frequency, ...], rows ascending. */
  postings: Record<string, number[]>;
}

/** The serialized index of `chunks` (lexical.json); rows are chunk positions. */
export function buildLexicalIndex(chunks: ChunkRecord[]): string {
  const postings = new Map<string, number[]>();
  const lengths: number[] = [];
  chunks.forEach((chunk, row) => {
    const weights = new Map<string, number>();
    let length = 0;
    for (const [field, weight] of [[chunk.title, FIELD_WEIGHTS.title], [chunk.headings.join(' '), FIELD_WEIGHTS.headings], [chunk.text, FIELD_WEIGHTS.text]] as const) {
      for (const term of keywordStems(field)) {
        weights.set(term, (weights.get(term) ?? 0) + weight);
        length += weight;
      }
    }
    lengths.push(Math.round(length * 10) / 10);
    for (const [term, weight] of weights) {
      let list = postings.get(term);
      if (!list) postings.set(term, (list = []));
      list.push(row, Math.round(weight * 10) / 10);
    }
  });
  const serialized: Serialized = { format: FORMAT, lengths, postings: Object.fromEntries(postings) };
  return JSON.stringify(serialized);
}

export class LexicalIndex {
  private constructor(
    /** term → its number; its postings are `rows`/`weights` from `offsets[n]` to `offsets[n + 1]`. */
    private readonly termIds: Map<string, number>,
    private readonly offsets: Uint32Array,
    private readonly rows: Uint32Array,
    private readonly weights: Float32Array,
    private readonly lengths: Float32Array,
    private readonly averageLength: number,
  ) {}

  /** Known terms grouped by length, built on the first typo lookup: a lookup reads three groups, not the whole vocabulary. */
  private byLength: Map<number, [string, number][]> | undefined;

  static load(json: string, where = 'lexical.json'): LexicalIndex {
    let data: Serialized;
    try {
      data = JSON.parse(json) as Serialized;
    } catch (cause) {
      throw new IndexCorruptError(where, 'the keyword index is not valid JSON', { cause });
    }
    if (data.format !== FORMAT) throw new IndexCorruptError(where, `the keyword index has format ${JSON.stringify(data.format ?? 'unknown')}, expected ${FORMAT}: rebuild it with npm run prebuild`);
    const entries = Object.entries(data.postings);
    const termIds = new Map<string, number>();
    const offsets = new Uint32Array(entries.length + 1);
    const total = entries.reduce((n, [, list]) => n + list.length / 2, 0);
    const rows = new Uint32Array(total);
    const weights = new Float32Array(total);
    let at = 0;
    entries.forEach(([term, list], id) => {
      termIds.set(term, id);
      offsets[id] = at;
      for (let i = 0; i < list.length; i += 2, at++) {
        rows[at] = list[i]!;
        weights[at] = list[i + 1]!;
      }
    });
    offsets[entries.length] = at;
    const lengths = Float32Array.from(data.lengths);
    const averageLength = lengths.reduce((sum, n) => sum + n, 0) / Math.max(1, lengths.length);
    return new LexicalIndex(termIds, offsets, rows, weights, lengths, averageLength || 1);
  }

  /**
   * Row numbers and BM25 scores, best first (`accept` filters rows, e.g. by source prefix), with
   * the query's profile. Both come from one pass over the query's terms: an unknown long word costs
   * a scan of the vocabulary, which must not happen twice.
   */
  search(query: string, limit: number, accept?: (row: number) => boolean): { hits: { row: number; score: number }[]; profile: QueryProfile } {
    const terms = [...new Set(keywordStems(query))].slice(0, MAX_QUERY_TERMS);
    let fuzzyLookups = 0;
    const weights = new Map<number, number>();
    const unknownTerms: string[] = [];
    let idfSum = 0;
    for (const term of terms) {
      const id = this.termIds.get(term);
      if (id !== undefined) {
        weights.set(id, 1);
        idfSum += this.idf(this.offsets[id + 1]! - this.offsets[id]!);
        continue;
      }
      // A word no chunk holds counts at full idf in the ceiling, typo or not.
      idfSum += this.idf(0);
      const near = term.length >= FUZZY_MIN_LENGTH && fuzzyLookups++ < MAX_FUZZY_TERMS ? this.oneEditAway(term) : [];
      if (near.length === 0) unknownTerms.push(term);
      for (const nearId of near) if (!weights.has(nearId)) weights.set(nearId, FUZZY_WEIGHT);
    }
    const scores = new Float32Array(this.lengths.length);
    for (const [id, weight] of weights) this.addScores(scores, id, weight);
    const hits: { row: number; score: number }[] = [];
    scores.forEach((score, row) => {
      if (score > 0 && (!accept || accept(row))) hits.push({ row, score });
    });
    hits.sort((a, b) => b.score - a.score || a.row - b.row);
    return { hits: hits.slice(0, limit), profile: { terms, unknownTerms, maxScore: idfSum * (K1 + 1) } };
  }

  private addScores(scores: Float32Array, id: number, weight: number): void {
    const from = this.offsets[id]!;
    const to = this.offsets[id + 1]!;
    const idf = this.idf(to - from);
    for (let i = from; i < to; i++) {
      const row = this.rows[i]!;
      const tf = this.weights[i]!;
      const norm = K1 * (1 - B + (B * this.lengths[row]!) / this.averageLength);
      scores[row]! += weight * idf * ((tf * (K1 + 1)) / (tf + norm));
    }
  }

  /** BM25's idf of a term that `documents` chunks hold. */
  private idf(documents: number): number {
    const all = this.lengths.length;
    return Math.log(1 + (all - documents + 0.5) / (documents + 0.5));
  }

  /** Known terms at edit distance 1 (one letter added, dropped, changed or two swapped). */
  private oneEditAway(term: string): number[] {
    if (!this.byLength) {
      this.byLength = new Map();
      for (const entry of this.termIds) {
        const group = this.byLength.get(entry[0].length);
        if (group) group.push(entry);
        else this.byLength.set(entry[0].length, [entry]);
      }
    }
    const near: number[] = [];
    for (let length = term.length - 1; length <= term.length + 1; length++) {
      for (const [candidate, id] of this.byLength.get(length) ?? []) if (withinOneEdit(term, candidate)) near.push(id);
    }
    return near;
  }
}

/** True when `a` becomes `b` by one insertion, deletion, substitution or swap of neighbours. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  return short.slice(i) === long.slice(i + 1);
}
