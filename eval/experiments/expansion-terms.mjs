/**
 * The two query expansions of query-expansion.md, as the experiment runs them: a retriever's hybrid
 * search with a BM25 side that adds weighted expansion terms to the question's own. Experiment code:
 * it reaches into the Retriever's and the LexicalIndex's private members (plain JavaScript can), so
 * that the unexpanded path is the worker's own code, byte for byte.
 */
import { fuse } from '../../dist/workers/fusion.js';
import { dot } from '../../dist/workers/sentence-similarity.js';
import { isStopword, keywordStems, stem, words } from '../../dist/text/terms.js';

/**
 * The corpus vocabulary for neighbour expansion: every index term with the surface word that most
 * often produced it, and that word's vector (the static model embeds a word in one lookup).
 */
export async function termVocabulary(retriever) {
  const surfaces = new Map();
  for (const chunk of retriever.index.chunks.all()) {
    for (const word of words([chunk.title, ...chunk.headings, chunk.text].join('\n'))) {
      if (word.length < 3 || isStopword(word) || /\d/.test(word)) continue;
      const term = stem(word);
      let counts = surfaces.get(term);
      if (!counts) surfaces.set(term, (counts = new Map()));
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  const termIds = retriever.lexical.termIds;
  const terms = [];
  const surface = [];
  for (const [term, counts] of surfaces) {
    if (!termIds.has(term)) continue;
    terms.push(term);
    surface.push([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0]);
  }
  const vectors = await retriever.embedder.embed(surface, 256);
  // memo: each question word's nearest terms, shared by the grid's settings (costs are timed without it).
  return { terms, surface, vectors, dimensions: retriever.embedder.dimensions, memo: new Map() };
}

/** The vocabulary terms nearest to `vector`, cosine at least `floor`, best first (at most `limit`). */
export function nearestTerms(vocabulary, vector, floor, limit) {
  const { terms, vectors, dimensions } = vocabulary;
  const found = [];
  for (let i = 0; i < terms.length; i++) {
    const cosine = dot(vector, vectors.subarray(i * dimensions, (i + 1) * dimensions));
    if (cosine >= floor) found.push({ term: terms[i], cosine });
  }
  return found.sort((a, b) => b.cosine - a.cosine || (a.term < b.term ? -1 : 1)).slice(0, limit);
}

/** RM3-style feedback terms: Σ over the top `docs` passages of (passage weight × term share), best `terms`, shares summing to 1. */
export function feedbackTerms(retriever, fused, queryTerms, { docs, terms }) {
  const top = fused.slice(0, docs);
  const total = top.reduce((sum, hit) => sum + hit.score, 0) || 1;
  const scores = new Map();
  for (const hit of top) {
    const chunk = retriever.index.chunks.get(hit.row);
    const stems = keywordStems([chunk.title, ...chunk.headings, chunk.text].join('\n'));
    if (!stems.length) continue;
    const counts = new Map();
    for (const s of stems) counts.set(s, (counts.get(s) ?? 0) + 1);
    for (const [s, n] of counts) if (!queryTerms.has(s) && s.length >= 3 && !/^\d+$/.test(s)) scores.set(s, (scores.get(s) ?? 0) + ((hit.score / total) * n) / stems.length);
  }
  const best = [...scores].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, terms);
  const sum = best.reduce((s, [, v]) => s + v, 0) || 1;
  return best.map(([term, v]) => ({ term, share: v / sum }));
}

/** Embedding-neighbour terms: for each content word of the question, up to `perWord` vocabulary terms at cosine ≥ `floor`. */
export async function neighbourTerms(retriever, vocabulary, query, queryTerms, { floor, perWord }, memo = vocabulary.memo) {
  const found = new Map();
  const content = [...new Set(words(query).filter((w) => w.length >= 3 && !isStopword(w)))];
  for (const word of content) {
    let near = memo.get(word);
    if (!near) {
      near = nearestTerms(vocabulary, await retriever.embedder.embed([word], 1), 0.3, 8);
      memo.set(word, near);
    }
    let taken = 0;
    for (const { term, cosine } of near) {
      if (taken >= perWord || cosine < floor) break;
      if (queryTerms.has(term) || term === stem(word)) continue;
      taken++;
      found.set(term, Math.max(found.get(term) ?? 0, cosine));
    }
  }
  return [...found.keys()];
}

/** BM25 scores of the question (the worker's own search, every scored row) plus `extra` terms at their weights; best `limit`. */
function expandedKeywordHits(lexical, query, extra, limit) {
  const own = lexical.search(query, lexical.rows);
  if (!extra.length) return own.hits.slice(0, limit);
  const scores = new Float32Array(lexical.rows);
  for (const hit of own.hits) scores[hit.row] = hit.score;
  for (const { term, weight } of extra) {
    const id = lexical.termIds.get(term);
    if (id !== undefined && weight > 0) lexical.addScores(scores, id, weight);
  }
  const rows = [];
  for (let row = 0; row < scores.length; row++) if (scores[row] > 0) rows.push(row);
  rows.sort((a, b) => scores[b] - scores[a] || a - b);
  return rows.slice(0, limit).map((row) => ({ row, score: scores[row] }));
}

/**
 * Make `retriever`'s hybrid searches expand the question (`config`: { kind: 'none' | 'rm3' | 'neighbours', ... }).
 * Abstention signals stay those of the question's own words, so only the ranking changes. Returns
 * the timings collected (ms spent expanding, per search).
 */
export function expandSearches(retriever, config, vocabulary) {
  const original = Object.getPrototypeOf(retriever).searchIndex;
  const costs = [];
  retriever.searchIndex = async function (request, vector) {
    if (config.kind === 'none' || (request.mode ?? 'hybrid') !== 'hybrid' || request.filter) return original.call(this, request, vector);
    const { query, topK } = request;
    const depth = Math.max(this.fusion.depth, topK);
    const queryVector = vector ?? (await this.cache.vector(query, () => this.embedder.embedQuestion(query)));
    const nearest = this.nearest(queryVector, depth);
    const keyword = this.lexical.search(query, depth);
    const started = performance.now();
    const queryTerms = new Set(keyword.profile.terms);
    const list = (hits) => [{ name: 'vector', weight: this.fusion.vectorWeight, hits: nearest }, { name: 'lexical', weight: this.fusion.lexicalWeight, hits }];
    let extra = [];
    const ownWeight = Math.max(1, queryTerms.size - keyword.profile.unknownTerms.length);
    if (config.kind === 'rm3') {
      const first = fuse(list(keyword.hits), this.fusion);
      extra = feedbackTerms(this, first, queryTerms, config).map(({ term, share }) => ({ term, weight: config.lambda * ownWeight * share }));
    } else {
      extra = (await neighbourTerms(this, vocabulary, query, queryTerms, config)).map((term) => ({ term, weight: config.weight }));
    }
    const fused = fuse(list(expandedKeywordHits(this.lexical, query, extra, depth)), this.fusion);
    costs.push(performance.now() - started);
    const output = await original.call(this, { ...request, mode: 'hybrid' }, queryVector);
    const byRow = fused.slice(0, topK);
    output.hits = byRow.map((hit) => {
      const chunk = this.index.chunks.get(hit.row);
      return { id: chunk.id, source: chunk.source, title: chunk.title, headings: chunk.headings, start: chunk.start, end: chunk.end, ...(chunk.page !== undefined ? { page: chunk.page } : {}), text: chunk.text, score: hit.score, scores: { ...(hit.vector ? { vector: hit.vector } : {}), ...(hit.lexical ? { lexical: hit.lexical } : {}) } };
    });
    return output;
  };
  return costs;
}
