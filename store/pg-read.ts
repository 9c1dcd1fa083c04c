/** Reading one generation of the PostgreSQL store: its description, the two searches, and chunks by row. */
import type { Pool, PoolClient } from 'pg';
import type { ChunkRecord, DocumentRecord } from './chunk-record.js';
import type { Manifest } from './manifest.js';
import { GENERATIONS_TABLE, generationTables, LIVE_TABLE, type VectorType } from './pg-schema.js';
import { vectorLiteral } from './pg-write.js';

type Queryable = Pool | PoolClient;

export interface GenerationInfo {
  id: string;
  manifest: Manifest;
  chunks: number;
  vectorType: VectorType;
  dimensions: number;
  centroid: Float32Array | null;
}

/** The live generation's description, or null when the database holds none. */
export async function readLive(db: Queryable): Promise<GenerationInfo | null> {
  const { rows } = await db.query<{ id: string; manifest: Manifest; chunks: number; vector_type: VectorType; dimensions: number; centroid: number[] | null }>(
    `SELECT g.id, g.manifest, g.chunks, g.vector_type, g.dimensions, g.centroid FROM ${LIVE_TABLE} l JOIN ${GENERATIONS_TABLE} g ON g.id = l.generation`,
  );
  const row = rows[0];
  if (!row) return null;
  return { id: row.id, manifest: row.manifest, chunks: row.chunks, vectorType: row.vector_type, dimensions: row.dimensions, centroid: row.centroid ? Float32Array.from(row.centroid) : null };
}

/** Only the pointer: what a reader checks to notice a swap (one index lookup). */
export async function readLiveId(db: Queryable): Promise<string | null> {
  const { rows } = await db.query<{ generation: string }>(`SELECT generation FROM ${LIVE_TABLE}`);
  return rows[0]?.generation ?? null;
}

interface ChunkRow {
  row: number;
  id: string;
  source: string;
  title: string;
  headings: string[];
  start_offset: number;
  end_offset: number;
  page: number | null;
  body: string;
  tokens: number;
}

const CHUNK_COLUMNS = 'row, id, source, title, headings, start_offset, end_offset, page, body, tokens';

function toChunk(row: ChunkRow): ChunkRecord {
  return { id: row.id, source: row.source, title: row.title, headings: row.headings, start: row.start_offset, end: row.end_offset, text: row.body, tokens: row.tokens, ...(row.page !== null ? { page: row.page } : {}) };
}

/** `LIKE` pattern for a source prefix, its wildcards escaped. */
function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The `limit` nearest rows by inner product (unit vectors: the cosine), through the HNSW index.
 * With a source prefix, pgvector's iterative scan keeps reading the graph until enough rows pass it.
 */
export async function nearestRows(db: Queryable, generation: GenerationInfo, query: Float32Array, limit: number, sourcePrefix?: string): Promise<{ row: number; score: number }[]> {
  // The search's own statement (searchCandidates) with no terms: what recall is measured on is what a search runs.
  return (await searchCandidates(db, generation, { vector: query, limit, terms: [], ...(sourcePrefix ? { sourcePrefix } : {}) })).nearest;
}

/**
 * The exact nearest rows, in the same type and metric as the index (a scan, the index turned off
 * for this one query): what recall is measured against.
 */
export async function exactNearestRows(db: Pool, generation: GenerationInfo, query: Float32Array, limit: number): Promise<number[]> {
  const t = generationTables(generation.id);
  const cast = `${generation.vectorType}(${generation.dimensions})`;
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL enable_indexscan = off');
    const { rows } = await client.query<{ row: number }>(`SELECT row FROM ${t.chunks} ORDER BY (embedding::${cast} <#> $1::${cast}), row LIMIT $2`, [vectorLiteral(query), limit]);
    await client.query('COMMIT');
    return rows.map((r) => r.row);
  } finally {
    client.release();
  }
}

/** A term's postings: the chunk rows that hold it and each one's BM25 saturation part, with the term's idf. */
export interface Postings {
  df: number;
  idf: number;
  rows: Uint32Array;
  parts: Float32Array;
}

/** The postings of each of `terms` the generation knows (unknown ones are absent), in one round trip. */
export async function termPostings(db: Queryable, generation: GenerationInfo, terms: string[]): Promise<Map<string, Postings>> {
  if (!terms.length) return new Map();
  const t = generationTables(generation.id);
  const { rows } = await db.query<PostingsRow>(`SELECT term, df, idf, rows, parts FROM ${t.vocab} WHERE term = ANY($1::text[])`, [terms]);
  return new Map(rows.map((r) => [r.term, toPostings(r)]));
}

interface PostingsRow {
  term: string;
  df: number;
  idf: number | string;
  rows: Buffer;
  parts: Buffer;
}

function toPostings(r: PostingsRow): Postings {
  return { df: r.df, idf: Number(r.idf), rows: unpackRows(r.rows), parts: unpackParts(r.parts) };
}

/** What a search reads before fusion: the nearest rows, the postings of its terms and, with a source prefix, the rows under it. */
export interface SearchCandidates {
  nearest: { row: number; score: number }[];
  postings: Map<string, Postings>;
  /** Only with a source prefix: the rows the keyword side may return. */
  under?: Set<number>;
}

/**
 * The nearest rows, the terms' postings and the rows under a source prefix in one statement: one round trip and one
 * connection a search instead of two of each at once (PostgreSQL answers the parts in turn
 * anyway, and the pool's other connection is then free for another search).
 */
export async function searchCandidates(db: Queryable, generation: GenerationInfo, { vector, limit, terms, sourcePrefix }: { vector?: Float32Array; limit: number; terms: string[]; sourcePrefix?: string }): Promise<SearchCandidates> {
  const t = generationTables(generation.id);
  const params: unknown[] = [terms];
  const parts = [`SELECT 1 AS side, NULL::integer AS row, NULL::float8 AS score, term, df, idf, rows, parts FROM ${t.vocab} WHERE term = ANY($1::text[])`];
  let filter = '';
  if (sourcePrefix) {
    params.push(prefixPattern(sourcePrefix));
    filter = `WHERE source LIKE $${params.length}`;
    parts.push(`SELECT 2, row, NULL, NULL, NULL, NULL, NULL, NULL FROM ${t.chunks} ${filter}`);
  }
  if (vector) {
    const cast = `${generation.vectorType}(${generation.dimensions})`;
    params.push(vectorLiteral(vector));
    const v = `$${params.length}::${cast}`;
    // The limit is a literal (a checked integer): a plan made for a parameter may not pick the HNSW index.
    parts.push(`(SELECT 0, row, -(embedding <#> ${v})::float8, NULL, NULL, NULL, NULL, NULL FROM ${t.chunks} ${filter} ORDER BY embedding <#> ${v} LIMIT ${checkedLimit(limit)})`);
  }
  const { rows } = await db.query<PostingsRow & { side: number; row: number; score: number | string }>(parts.join('\nUNION ALL\n'), params);
  const nearest: { row: number; score: number }[] = [];
  const postings = new Map<string, Postings>();
  const under = sourcePrefix ? new Set<number>() : undefined;
  for (const r of rows) {
    if (r.side === 0) nearest.push({ row: r.row, score: Number(r.score) });
    else if (r.side === 1) postings.set(r.term, toPostings(r));
    else under!.add(r.row);
  }
  nearest.sort((a, b) => b.score - a.score || a.row - b.row);
  return { nearest, postings, ...(under ? { under } : {}) };
}

function checkedLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`invalid limit ${limit}`);
  return limit;
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Packed little-endian uint32s: a view of the bytes when they are aligned (or a copy of them), read one by one only on a big-endian machine. */
function unpackRows(bytes: Buffer): Uint32Array {
  const n = bytes.length >> 2;
  if (littleEndian) return bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, n) : new Uint32Array(new Uint8Array(bytes).buffer, 0, n);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = bytes.readUInt32LE(i * 4);
  return out;
}

function unpackParts(bytes: Buffer): Float32Array {
  const n = bytes.length >> 2;
  if (littleEndian) return bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, n) : new Float32Array(new Uint8Array(bytes).buffer, 0, n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/**
 * Known terms that may be one edit from `term` (length within one, and the first or last two letters
 * shared: one edit of a word of six letters or more leaves one end alone). The caller checks the edit exactly.
 */
export async function nearTermCandidates(db: Queryable, generation: GenerationInfo, term: string): Promise<string[]> {
  const t = generationTables(generation.id);
  const { rows } = await db.query<{ term: string }>(
    `SELECT term FROM ${t.vocab} WHERE length(term) BETWEEN $2 AND $3 AND (left(term, 2) = left($1, 2) OR right(term, 2) = right($1, 2))`,
    [term, term.length - 1, term.length + 1],
  );
  return rows.map((r) => r.term);
}

/**
 * PostgreSQL full-text search instead of our BM25 (measured, not the default: see README, Scaling):
 * any of the question's words (an OR of its lexemes), ranked by ts_rank with length normalisation.
 */
export async function fullTextRows(db: Queryable, generation: GenerationInfo, query: string, limit: number, sourcePrefix?: string): Promise<{ row: number; score: number }[]> {
  const t = generationTables(generation.id);
  const params: unknown[] = [query, limit];
  if (sourcePrefix) params.push(prefixPattern(sourcePrefix));
  const { rows } = await db.query<{ row: number; score: number }>(
    `WITH q AS (SELECT nullif(replace(plainto_tsquery('english', $1)::text, '&', '|'), '')::tsquery AS q)
     SELECT row, ts_rank(fts, q.q, 1)::float8 AS score FROM ${t.chunks}, q
     WHERE q.q IS NOT NULL AND fts @@ q.q ${sourcePrefix ? 'AND source LIKE $3' : ''} ORDER BY score DESC, row LIMIT $2`,
    params,
  );
  return rows.map((r) => ({ row: r.row, score: Number(r.score) }));
}

/** The chunks at `rows`, in that order. */
export async function chunksAt(db: Queryable, generation: GenerationInfo, rows: number[]): Promise<ChunkRecord[]> {
  if (!rows.length) return [];
  const t = generationTables(generation.id);
  const { rows: found } = await db.query<ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM ${t.chunks} WHERE row = ANY($1::int[])`, [rows]);
  const byRow = new Map(found.map((r) => [r.row, toChunk(r)]));
  return rows.map((row) => {
    const chunk = byRow.get(row);
    if (!chunk) throw new Error(`chunk row ${row} missing from generation ${generation.id}`);
    return chunk;
  });
}

/** Every chunk of one source document, in row order (the document task). */
export async function chunksOfSource(db: Queryable, generation: GenerationInfo, source: string): Promise<ChunkRecord[]> {
  const t = generationTables(generation.id);
  const { rows } = await db.query<ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM ${t.chunks} WHERE source = $1 ORDER BY row`, [source]);
  return rows.map(toChunk);
}

/** A whole generation read back (chunks, documents, float32 vectors): what the next build reuses unchanged documents from. */
export async function readWholeGeneration(db: Queryable, generation: GenerationInfo): Promise<{ chunks: ChunkRecord[]; documents: DocumentRecord[]; vectors: Float32Array | null }> {
  const t = generationTables(generation.id);
  const { dimensions } = generation;
  const { rows } = await db.query<ChunkRow & { embedding: string | null }>(`SELECT ${CHUNK_COLUMNS}${dimensions ? ', embedding::vector::text AS embedding' : ', NULL AS embedding'} FROM ${t.chunks} ORDER BY row`);
  const vectors = dimensions ? new Float32Array(rows.length * dimensions) : null;
  rows.forEach((r, i) => {
    if (vectors && r.embedding) vectors.set(r.embedding.slice(1, -1).split(',').map(Number), i * dimensions);
  });
  const { rows: docs } = await db.query<{ source: string; title: string; content_hash: string; first_chunk: number; chunk_count: number }>(`SELECT * FROM ${t.documents} ORDER BY first_chunk`);
  return {
    chunks: rows.map(toChunk),
    documents: docs.map((d) => ({ source: d.source, title: d.title, contentHash: d.content_hash, firstChunk: d.first_chunk, chunkCount: d.chunk_count })),
    vectors,
  };
}
