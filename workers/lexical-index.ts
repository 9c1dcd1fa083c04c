import MiniSearch, { type Options, type SearchOptions } from 'minisearch';
import type { ChunkRecord } from '../store/chunk-record.js';

interface LexicalDoc {
  id: number;
  title: string;
  headings: string;
  text: string;
  source: string;
}

/** Build and load must agree on these, or MiniSearch's serialized index reads wrong. */
const OPTIONS: Options<LexicalDoc> = {
  idField: 'id',
  fields: ['title', 'headings', 'text'],
  storeFields: [],
};

const SEARCH: SearchOptions = {
  boost: { headings: 1.5, title: 1.2 },
  combineWith: 'OR',
  // A little typo tolerance on longer words only; short words would match too much.
  fuzzy: (term) => (term.length >= 6 ? 0.15 : false),
};

/** BM25 over the chunks (MiniSearch scores with BM25+); document ids are chunk row numbers. */
export function buildLexicalIndex(chunks: ChunkRecord[]): string {
  const index = new MiniSearch<LexicalDoc>(OPTIONS);
  index.addAll(chunks.map((chunk, id) => ({ id, title: chunk.title, headings: chunk.headings.join(' '), text: chunk.text, source: chunk.source })));
  return JSON.stringify(index);
}

export class LexicalIndex {
  private constructor(private readonly index: MiniSearch<LexicalDoc>) {}

  static load(json: string): LexicalIndex {
    return new LexicalIndex(MiniSearch.loadJSON<LexicalDoc>(json, OPTIONS));
  }

  /** Row numbers and BM25 scores, best first. `accept` filters rows (e.g. by source prefix). */
  search(query: string, limit: number, accept?: (row: number) => boolean): { row: number; score: number }[] {
    const hits = this.index.search(query, accept ? { ...SEARCH, filter: (hit) => accept(hit.id as number) } : SEARCH);
    return hits.slice(0, limit).map((hit) => ({ row: hit.id as number, score: hit.score }));
  }
}
