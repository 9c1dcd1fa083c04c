/**
 * Writing generations into PostgreSQL: a generation's tables filled beside the live one, then the
 * pointer row moved in one transaction. A build killed at any moment before that transaction leaves
 * the live generation untouched (its half-written tables are dropped by the next build).
 */
import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { ChunkRecord, DocumentRecord } from './chunk-record.js';
import type { Manifest } from './manifest.js';
import { BASE_SCHEMA, BM25, BUILD_LOCK_KEY, GENERATIONS_TABLE, generationTables, LIVE_TABLE, type VectorType } from './pg-schema.js';

/** Rows per INSERT: large enough to be quick, small enough for a free tier's statement limits. */
const BATCH_ROWS = 500;

/** What one generation holds, as the file build produced it. */
/** A keyword index's postings as the writer reads them (workers/lexical-index.ts's LexicalIndex has this shape). */
export interface KeywordPostings {
  /** Each chunk's weighted length, by row. */
  readonly chunkLengths: Float32Array;
  readonly termCount: number;
  postings(): Iterator<{ term: string; rows: Uint32Array; weights: Float32Array }>;
}

export interface GenerationData {
  manifest: Manifest;
  chunks: ChunkRecord[];
  documents: DocumentRecord[];
  /** Row-major unit vectors, `chunks.length × dimensions`; null for a lexical-only generation. */
  vectors: Float32Array | null;
  /** The file store's keyword index, decoded (workers/lexical-index.ts reads lexical.bin): its postings become term rows. */
  lexical: KeywordPostings;
}

export interface WriteOptions {
  vectorType?: VectorType;
  /** HNSW build parameters (pgvector defaults m 16, ef_construction 64). */
  hnsw?: { m: number; efConstruction: number };
  onProgress?: (phase: 'chunks' | 'terms' | 'index', done: number, total: number) => void;
  /** Also a PostgreSQL full-text column and its GIN index (the keyword side measured against our BM25; not used by default). */
  fullText?: boolean;
}

export function newGenerationId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', 't').slice(0, 15);
  return `g${stamp}_${randomBytes(3).toString('hex')}`;
}

export async function ensureSchema(pool: Pool): Promise<void> {
  await pool.query(BASE_SCHEMA);
}

/** The live generation's id, or null. */
export async function liveGeneration(pool: Pool | PoolClient): Promise<{ generation: string; previous: string | null } | null> {
  const { rows } = await pool.query<{ generation: string; previous: string | null }>(`SELECT generation, previous FROM ${LIVE_TABLE}`);
  return rows[0] ?? null;
}

/**
 * Hold the database's build lock for `run` (one build at a time; PostgreSQL releases it if the
 * process dies). Throws when another build holds it.
 */
export async function withBuildLock<T>(pool: Pool, run: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [BUILD_LOCK_KEY]);
    if (!rows[0]!.locked) throw Object.assign(new Error('another build is writing to this database'), { code: 'BUILD_LOCKED' });
    try {
      return await run(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [BUILD_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/** Drop the tables of every generation that is neither live nor the previous one: leftovers of killed builds and generations swapped out twice. */
export async function dropStaleGenerations(client: PoolClient): Promise<string[]> {
  const live = await liveGeneration(client);
  const keep = new Set([live?.generation, live?.previous].filter((id): id is string => Boolean(id)));
  const { rows } = await client.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'rag512\\_gen\\_%'`);
  const stale = new Set<string>();
  for (const { tablename } of rows) {
    const id = /^rag512_gen_(.+)_(chunks|terms|vocab|documents)$/.exec(tablename)?.[1];
    if (id && !keep.has(id)) stale.add(id);
  }
  const { rows: known } = await client.query<{ id: string }>(`SELECT id FROM ${GENERATIONS_TABLE}`);
  for (const { id } of known) if (!keep.has(id)) stale.add(id);
  for (const id of stale) {
    const t = generationTables(id);
    await client.query(`DROP TABLE IF EXISTS ${t.chunks}, ${t.terms}, ${t.vocab}, ${t.documents}`);
    await client.query(`DELETE FROM ${GENERATIONS_TABLE} WHERE id = $1`, [id]);
  }
  return [...stale];
}

/** The vector as pgvector's text form. */
export function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}

/**
 * Create and fill a generation's tables (not live yet) and return its id. Its row in the
 * generations table is written last, inside the swap (`swapLive`).
 */
export async function writeGeneration(client: PoolClient, data: GenerationData, options: WriteOptions = {}): Promise<{ id: string; centroid: number[] | null; dimensions: number; vectorType: VectorType }> {
  const id = newGenerationId();
  const t = generationTables(id);
  const vectorType = options.vectorType ?? 'halfvec';
  const dimensions = data.manifest.model && data.vectors ? data.manifest.model.dimensions : 0;
  const embeddingColumn = dimensions ? `, embedding ${vectorType}(${dimensions})` : '';
  await client.query(`CREATE TABLE ${t.chunks} (
    row integer PRIMARY KEY, id text NOT NULL, source text NOT NULL, title text NOT NULL, headings text[] NOT NULL,
    start_offset integer NOT NULL, end_offset integer NOT NULL, page integer, body text NOT NULL, tokens integer NOT NULL${embeddingColumn})`);
  await client.query(`CREATE TABLE ${t.documents} (source text PRIMARY KEY, title text NOT NULL, content_hash text NOT NULL, first_chunk integer NOT NULL, chunk_count integer NOT NULL)`);
  // Our BM25 as term rows: each term's postings (rows and their precomputed saturation part, packed
  // little-endian uint32 and float32) and its idf. Stored uncompressed: a query reads them whole.
  await client.query(`CREATE TABLE ${t.vocab} (term text PRIMARY KEY, df integer NOT NULL, idf real NOT NULL, rows bytea NOT NULL, parts bytea NOT NULL)`);
  await client.query(`ALTER TABLE ${t.vocab} ALTER COLUMN rows SET STORAGE EXTERNAL, ALTER COLUMN parts SET STORAGE EXTERNAL`);

  const { chunks, vectors } = data;
  for (let from = 0; from < chunks.length; from += BATCH_ROWS) {
    const slice = chunks.slice(from, from + BATCH_ROWS);
    const rows = slice.map((_, i) => from + i);
    const params: unknown[] = [
      rows,
      slice.map((c) => c.id),
      slice.map((c) => c.source),
      slice.map((c) => c.title),
      slice.map((c) => JSON.stringify(c.headings)),
      slice.map((c) => c.start),
      slice.map((c) => c.end),
      slice.map((c) => c.page ?? null),
      slice.map((c) => c.text),
      slice.map((c) => c.tokens),
    ];
    if (dimensions) params.push(rows.map((row) => vectorLiteral(vectors!.subarray(row * dimensions, (row + 1) * dimensions))));
    await client.query(
      `INSERT INTO ${t.chunks} (row, id, source, title, headings, start_offset, end_offset, page, body, tokens${dimensions ? ', embedding' : ''})
       SELECT r, i, s, ti, ARRAY(SELECT jsonb_array_elements_text(h::jsonb)), st, en, pa, bo, tk${dimensions ? `, e::${vectorType}(${dimensions})` : ''}
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::int[], $9::text[], $10::int[]${dimensions ? ', $11::text[]' : ''})
         AS u(r, i, s, ti, h, st, en, pa, bo, tk${dimensions ? ', e' : ''})`,
      params,
    );
    options.onProgress?.('chunks', Math.min(from + BATCH_ROWS, chunks.length), chunks.length);
  }
  for (let from = 0; from < data.documents.length; from += BATCH_ROWS) {
    const slice = data.documents.slice(from, from + BATCH_ROWS);
    await client.query(`INSERT INTO ${t.documents} SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[])`, [
      slice.map((d) => d.source),
      slice.map((d) => d.title),
      slice.map((d) => d.contentHash),
      slice.map((d) => d.firstChunk),
      slice.map((d) => d.chunkCount),
    ]);
  }
  await writeTerms(client, t.vocab, data.lexical, chunks.length, options);

  await client.query(`CREATE INDEX ON ${t.chunks} (source text_pattern_ops)`);
  if (options.fullText) await addFullText(client, id);
  if (dimensions) {
    options.onProgress?.('index', 0, 1);
    const { m, efConstruction } = options.hnsw ?? { m: 16, efConstruction: 64 };
    await raiseMaintenanceMemory(client);
    await client.query(`CREATE INDEX ON ${t.chunks} USING hnsw (embedding ${vectorType}_ip_ops) WITH (m = ${Number(m)}, ef_construction = ${Number(efConstruction)})`);
    options.onProgress?.('index', 1, 1);
  }
  await client.query(`ANALYZE ${t.chunks}`);
  await client.query(`ANALYZE ${t.vocab}`);
  return { id, centroid: dimensions ? unitMean(vectors!, dimensions) : null, dimensions, vectorType };
}

/**
 * At least 256 MB of `maintenance_work_mem` for this session's HNSW build (PostgreSQL's default of
 * 64 MB makes the graph spill to disk early, and the build slows down many times), never less than
 * the server is configured with: a database sized for a large corpus keeps its own, larger setting.
 * A server that refuses the setting builds with what it has.
 */
export async function raiseMaintenanceMemory(client: Pick<PoolClient, 'query'>): Promise<void> {
  await client
    .query(`SELECT set_config('maintenance_work_mem', '256MB', false) WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes('256MB')`)
    .catch(() => undefined);
}

/** PostgreSQL's own full-text search over a generation: title and headings weighted as our BM25 weighs them (A), the text (D). */
export async function addFullText(client: PoolClient, id: string): Promise<void> {
  const t = generationTables(id);
  await client.query(`ALTER TABLE ${t.chunks} ADD COLUMN IF NOT EXISTS fts tsvector`);
  await client.query(`UPDATE ${t.chunks} SET fts = setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', array_to_string(headings, ' ')), 'A') || setweight(to_tsvector('english', body), 'D')`);
  await client.query(`CREATE INDEX IF NOT EXISTS ${t.chunks}_fts ON ${t.chunks} USING gin (fts)`);
}

/** The keyword index's postings as one row per term, each with its BM25 saturation part per chunk precomputed. */
async function writeTerms(client: PoolClient, table: string, lexical: KeywordPostings, chunkCount: number, options: WriteOptions): Promise<void> {
  const lengths = lexical.chunkLengths;
  const averageLength = lengths.reduce((sum, n) => sum + n, 0) / Math.max(1, lengths.length) || 1;
  const { k1, b } = BM25;
  const entries = lexical.postings();
  let written = 0;
  for (let done = false; !done; ) {
    const terms: string[] = [];
    const dfs: number[] = [];
    const idfs: number[] = [];
    const rowLists: Buffer[] = [];
    const partLists: Buffer[] = [];
    while (terms.length < BATCH_ROWS) {
      const next = entries.next();
      if (next.done) {
        done = true;
        break;
      }
      const { term, rows, weights } = next.value;
      const df = rows.length;
      const parts = new Float32Array(df);
      for (let i = 0; i < df; i++) {
        const tf = weights[i]!;
        const norm = k1 * (1 - b + (b * lengths[rows[i]!]!) / averageLength);
        parts[i] = (tf * (k1 + 1)) / (tf + norm);
      }
      terms.push(term);
      dfs.push(df);
      idfs.push(Math.log(1 + (chunkCount - df + 0.5) / (df + 0.5)));
      rowLists.push(packLittleEndian(rows));
      partLists.push(packLittleEndian(parts));
    }
    if (!terms.length) break;
    await client.query(`INSERT INTO ${table} SELECT * FROM unnest($1::text[], $2::int[], $3::float8[], $4::bytea[], $5::bytea[])`, [terms, dfs, idfs, rowLists, partLists]);
    written += terms.length;
    options.onProgress?.('terms', written, lexical.termCount);
  }
}

/**
 * Make generation `id` live, in one transaction: its row in the generations table, then the pointer.
 * The generation it replaces stays (as `previous`) until the next build, so a reader that read the
 * pointer just before the swap finishes its query; older ones are dropped.
 */
export async function swapLive(client: PoolClient, written: { id: string; centroid: number[] | null; dimensions: number; vectorType: VectorType }, manifest: Manifest, chunkCount: number): Promise<{ previous: string | null }> {
  await client.query('BEGIN');
  try {
    await client.query(`INSERT INTO ${GENERATIONS_TABLE} (id, manifest, chunks, vector_type, dimensions, centroid) VALUES ($1, $2, $3, $4, $5, $6)`, [written.id, JSON.stringify(manifest), chunkCount, written.vectorType, written.dimensions, written.centroid]);
    const { rows } = await client.query<{ generation: string }>(`SELECT generation FROM ${LIVE_TABLE} FOR UPDATE`);
    const previous = rows[0]?.generation ?? null;
    await client.query(
      `INSERT INTO ${LIVE_TABLE} (singleton, generation, previous, swapped_at) VALUES (true, $1, $2, now())
       ON CONFLICT (singleton) DO UPDATE SET generation = EXCLUDED.generation, previous = EXCLUDED.previous, swapped_at = now()`,
      [written.id, previous],
    );
    // Readers poll this channel's pointer; a NOTIFY lets a listening one move at once.
    await client.query(`NOTIFY rag512_generation, '${written.id}'`);
    await client.query('COMMIT');
    return { previous };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** A typed array's bytes, little-endian whatever the machine. */
function packLittleEndian(values: Uint32Array | Float32Array): Buffer {
  const bytes = Buffer.alloc(values.length * 4);
  if (values instanceof Uint32Array) values.forEach((v, i) => bytes.writeUInt32LE(v, i * 4));
  else values.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes;
}

/** The mean of the rows, scaled to unit length (null if they cancel out), as the file store computes it. */
function unitMean(vectors: Float32Array, dimensions: number): number[] | null {
  const mean = new Float64Array(dimensions);
  for (let at = 0; at < vectors.length; at += dimensions) for (let d = 0; d < dimensions; d++) mean[d]! += vectors[at + d]!;
  let norm = 0;
  for (let d = 0; d < dimensions; d++) norm += mean[d]! * mean[d]!;
  norm = Math.sqrt(norm);
  if (!(norm > 1e-9)) return null;
  return Array.from(mean, (x) => x / norm);
}
