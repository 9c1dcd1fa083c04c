/**
 * Section context for section-context.md: every chunk scored with its section too, parent-document
 * style, while the chunk stays what is returned, cited and quoted. Experiment code: it reaches into
 * the Retriever's private members (plain JavaScript can), so that λ = 0 is the worker's own path.
 */
import { fuse } from '../../dist/workers/fusion.js';
import { buildLexicalIndex, LexicalIndex } from '../../dist/workers/lexical-index.js';
import { dot } from '../../dist/workers/sentence-similarity.js';

/**
 * The sections of an open index: runs of consecutive rows of one file under one heading trail (a
 * chunk never spans two headings). Each gets a keyword document (title, trail, the section's text
 * once: each chunk's part not repeated by overlap) and the unit mean of its chunks' exact vectors.
 */
export function sectionIndex(retriever) {
  const chunks = retriever.index.chunks.all();
  const sectionOf = new Uint32Array(chunks.length);
  const records = [];
  let previous;
  chunks.forEach((chunk, row) => {
    const key = `${chunk.source}\0${JSON.stringify(chunk.headings)}`;
    const body = chunk.text.slice(chunk.text.length - (chunk.end - chunk.start));
    if (!previous || previous.key !== key || chunk.start < previous.start) {
      previous = { key, start: chunk.start, end: chunk.end, rows: [row], parts: [body], record: { title: chunk.title, headings: chunk.headings } };
      records.push(previous);
    } else {
      previous.parts.push(body.slice(Math.max(0, previous.end - chunk.start)));
      previous.end = Math.max(previous.end, chunk.end);
      previous.rows.push(row);
    }
    sectionOf[row] = records.length - 1;
  });
  const lexical = LexicalIndex.load(buildLexicalIndex(records.map((s, i) => ({ id: String(i), source: s.key, title: s.record.title, headings: s.record.headings, start: s.start, end: s.end, text: s.parts.join(' '), tokens: 0 }))));
  const dimensions = retriever.embedder.dimensions;
  const vectors = new Float32Array(records.length * dimensions);
  records.forEach((section, i) => {
    const mean = vectors.subarray(i * dimensions, (i + 1) * dimensions);
    for (const row of exactRows(retriever, section.rows)) for (let d = 0; d < dimensions; d++) mean[d] += row[d];
    const norm = Math.hypot(...mean);
    if (norm > 1e-9) for (let d = 0; d < dimensions; d++) mean[d] /= norm;
  });
  return { sectionOf, sections: records.length, lexical, vectors, dimensions, rowsPerSection: chunks.length / records.length };
}

function exactRows(retriever, rows) {
  const { vectors } = retriever.index;
  const dimensions = retriever.embedder.dimensions;
  if (vectors) return rows.map((row) => vectors.subarray(row * dimensions, (row + 1) * dimensions));
  return retriever.exactRows.read(rows);
}

/** Each section's fused score for the question (today's fusion, applied to sections); absent ones score 0. */
export function sectionScores(retriever, sections, query, queryVector) {
  const depth = retriever.fusion.depth;
  const cosines = [];
  for (let s = 0; s < sections.sections; s++) cosines.push({ row: s, score: dot(queryVector, sections.vectors.subarray(s * sections.dimensions, (s + 1) * sections.dimensions)) });
  cosines.sort((a, b) => b.score - a.score || a.row - b.row);
  const keyword = sections.lexical.search(query, depth);
  const fused = fuse([{ name: 'vector', weight: retriever.fusion.vectorWeight, hits: cosines.slice(0, depth) }, { name: 'lexical', weight: retriever.fusion.lexicalWeight, hits: keyword.hits }], retriever.fusion);
  return new Map(fused.map((hit) => [hit.row, hit.score]));
}

/**
 * Make `retriever`'s hybrid searches rank chunks by (1 − λ) × their own fused score + λ × their
 * section's. Candidates, abstention signals and the hits' own cosines are today's. Returns the
 * per-search costs (ms of section scoring) and the characters of the first five passages.
 */
export function withSectionContext(retriever, sections, lambda) {
  const original = Object.getPrototypeOf(retriever).searchIndex;
  const stats = { costs: [], contextChars: [] };
  retriever.searchIndex = async function (request, vector) {
    if ((request.mode ?? 'hybrid') !== 'hybrid' || request.filter) return original.call(this, request, vector);
    const { query, topK } = request;
    const queryVector = vector ?? (await this.cache.vector(query, () => this.embedder.embedQuestion(query)));
    const output = await original.call(this, { ...request, mode: 'hybrid' }, queryVector);
    if (lambda > 0) {
      const depth = Math.max(this.fusion.depth, topK);
      const fusedChunks = fuse([{ name: 'vector', weight: this.fusion.vectorWeight, hits: this.nearest(queryVector, depth) }, { name: 'lexical', weight: this.fusion.lexicalWeight, hits: this.lexical.search(query, depth).hits }], this.fusion);
      const started = performance.now();
      const bySection = sectionScores(this, sections, query, queryVector);
      const ranked = fusedChunks
        .map((hit) => ({ ...hit, score: (1 - lambda) * hit.score + lambda * (bySection.get(sections.sectionOf[hit.row]) ?? 0) }))
        .sort((a, b) => b.score - a.score || (a.lexical?.rank ?? Infinity) - (b.lexical?.rank ?? Infinity) || a.row - b.row);
      stats.costs.push(performance.now() - started);
      output.hits = ranked.slice(0, topK).map((hit) => {
        const chunk = this.index.chunks.get(hit.row);
        return { id: chunk.id, source: chunk.source, title: chunk.title, headings: chunk.headings, start: chunk.start, end: chunk.end, ...(chunk.page !== undefined ? { page: chunk.page } : {}), text: chunk.text, score: hit.score, scores: { ...(hit.vector ? { vector: hit.vector } : {}), ...(hit.lexical ? { lexical: hit.lexical } : {}) } };
      });
    }
    stats.contextChars.push(output.hits.slice(0, 5).reduce((n, hit) => n + hit.text.length, 0));
    return output;
  };
  return stats;
}
