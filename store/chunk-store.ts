import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ChunkRecord, DocumentRecord } from './chunk-record.js';
import { IndexCorruptError } from './errors.js';
import { readThrough } from './file-hash.js';
import { FILES } from './index-layout.js';

const OFFSET = Float64Array.BYTES_PER_ELEMENT;

/**
 * The chunk records of one generation, read from disk by offset: `chunks.jsonl` holds one JSON
 * record a line, `chunks.offsets` the byte offset of each line (float64, one more than there are
 * rows). Only the records a request needs are parsed; the rest stay on disk (and in the page
 * cache), so the worker's heap does not grow with the corpus. Each row's document comes from
 * `documents.json` (a document's chunks are consecutive rows), so a source filter or a document
 * view never parses records it does not return.
 */
export class ChunkStore implements Iterable<ChunkRecord> {
  private fd: number | undefined;
  /** Source of each document, and the document of each row (null when the documents do not cover the rows). */
  private readonly sources: string[];
  private readonly documentOf: Uint32Array | null;
  private readonly firstRows: Map<string, { first: number; count: number }>;

  private constructor(
    readonly dir: string,
    private readonly offsets: Float64Array,
    documents: readonly DocumentRecord[],
  ) {
    this.sources = documents.map((doc) => doc.source);
    this.firstRows = new Map(documents.map((doc) => [doc.source, { first: doc.firstChunk, count: doc.chunkCount }]));
    this.documentOf = coversRows(documents, this.length) ? new Uint32Array(this.length) : null;
    documents.forEach((doc, i) => this.documentOf?.fill(i, doc.firstChunk, doc.firstChunk + doc.chunkCount));
  }

  /**
   * Open the records of generation `dir`: reads the offsets table and, when `sha256` is given, streams
   * the records file through its checksum (never whole in memory). `rows` is the manifest's count.
   */
  static async open(dir: string, rows: number, documents: readonly DocumentRecord[], checksums?: { records?: string; offsets?: string }): Promise<ChunkStore> {
    const offsetsBytes = await hashFile(dir, FILES.chunkOffsets, checksums?.offsets, true);
    if (offsetsBytes.bytes.byteLength !== (rows + 1) * OFFSET) {
      throw new IndexCorruptError(dir, `${FILES.chunkOffsets} has ${offsetsBytes.bytes.byteLength} bytes, expected ${(rows + 1) * OFFSET} for ${rows} chunks`);
    }
    const offsets = new Float64Array(rows + 1);
    new Uint8Array(offsets.buffer).set(offsetsBytes.bytes);
    const records = await hashFile(dir, FILES.chunks, checksums?.records, false);
    if (records.size !== offsets[rows]) throw new IndexCorruptError(dir, `${FILES.chunks} has ${records.size} bytes, its offsets end at ${offsets[rows]}`);
    return new ChunkStore(dir, offsets, documents);
  }

  get length(): number {
    return this.offsets.length - 1;
  }

  /** One record, parsed from its line. */
  get(row: number): ChunkRecord {
    return this.range(row, row + 1)[0]!;
  }

  /** Rows `from` to `to` (exclusive), with one read. */
  range(from: number, to: number): ChunkRecord[] {
    if (from < 0 || to > this.length || from > to) throw new RangeError(`rows ${from}..${to} outside 0..${this.length}`);
    if (from === to) return [];
    const start = this.offsets[from]!;
    const bytes = Buffer.allocUnsafe(this.offsets[to]! - start);
    const read = readSync(this.descriptor(), bytes, 0, bytes.length, start);
    if (read !== bytes.length) throw new IndexCorruptError(this.dir, `${FILES.chunks} ended before row ${to}`);
    const out: ChunkRecord[] = [];
    for (let row = from; row < to; row++) {
      const line = bytes.toString('utf8', this.offsets[row]! - start, this.offsets[row + 1]! - start - 1);
      try {
        out.push(JSON.parse(line) as ChunkRecord);
      } catch (cause) {
        throw new IndexCorruptError(this.dir, `${FILES.chunks} row ${row} is not valid JSON`, { cause });
      }
    }
    return out;
  }

  /** The source of a row, without parsing its record when the documents cover the rows. */
  sourceOf(row: number): string {
    return this.documentOf ? this.sources[this.documentOf[row]!]! : this.get(row).source;
  }

  /** A test for rows whose source starts with `prefix`, decided once per document. */
  sourceFilter(prefix: string): (row: number) => boolean {
    if (!this.documentOf) return (row) => this.get(row).source.startsWith(prefix);
    const accepted = Uint8Array.from(this.sources, (source) => (source.startsWith(prefix) ? 1 : 0));
    const documentOf = this.documentOf;
    return (row) => accepted[documentOf[row]!] === 1;
  }

  /** Every record of one source, in row order. */
  ofSource(source: string): ChunkRecord[] {
    const rows = this.firstRows.get(source);
    if (rows && this.documentOf) return this.range(rows.first, rows.first + rows.count);
    return this.all().filter((chunk) => chunk.source === source);
  }

  /** All records, materialised: for the build's reuse and the evaluation, never the server's searches. */
  all(): ChunkRecord[] {
    const out: ChunkRecord[] = [];
    // In slices, so one read never needs a buffer the size of the whole file.
    for (let from = 0; from < this.length; from += 4096) out.push(...this.range(from, Math.min(this.length, from + 4096)));
    return out;
  }

  *[Symbol.iterator](): Iterator<ChunkRecord> {
    for (let from = 0; from < this.length; from += 4096) yield* this.range(from, Math.min(this.length, from + 4096));
  }

  /** Release the records file's descriptor (a later read opens it again). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Kept open between searches: an open per search cost more than the read itself. */
  private descriptor(): number {
    this.fd ??= openSync(path.join(this.dir, FILES.chunks), 'r');
    return this.fd;
  }
}

/** The records file's lines and offsets table for `chunks`, in one pass. */
export function encodeChunks(chunks: readonly ChunkRecord[]): { records: Buffer[]; offsets: Uint8Array } {
  const offsets = new Float64Array(chunks.length + 1);
  const records: Buffer[] = [];
  let at = 0;
  chunks.forEach((chunk, row) => {
    const line = Buffer.from(`${JSON.stringify(chunk)}\n`, 'utf8');
    records.push(line);
    offsets[row] = at;
    at += line.length;
  });
  offsets[chunks.length] = at;
  return { records, offsets: new Uint8Array(offsets.buffer) };
}

function coversRows(documents: readonly DocumentRecord[], rows: number): boolean {
  let next = 0;
  for (const doc of documents) {
    if (doc.firstChunk !== next) return false;
    next += doc.chunkCount;
  }
  return next === rows;
}

/**
 * Read a file through sha256 (checked when `expected` is given; one reused buffer, `readThrough`);
 * keeps its bytes only when asked (small files). Neither asked, only its size is read.
 */
async function hashFile(dir: string, file: string, expected: string | undefined, keep: boolean): Promise<{ size: number; bytes: Buffer }> {
  const hash = createHash('sha256');
  const pieces: Buffer[] = [];
  let size = 0;
  try {
    if (!expected && !keep) size = (await stat(path.join(dir, file))).size;
    else {
      size = await readThrough(path.join(dir, file), (piece) => {
        if (expected) hash.update(piece);
        // A copy: the piece's buffer is read into again.
        if (keep) pieces.push(Buffer.from(piece));
      });
    }
  } catch (cause) {
    throw new IndexCorruptError(dir, `${file} is missing`, { cause });
  }
  if (expected && hash.digest('hex') !== expected) {
    throw new IndexCorruptError(dir, `${file} does not match the checksum in its manifest (changed or truncated after the build, ${size} bytes): rebuild the index`);
  }
  return { size, bytes: keep ? Buffer.concat(pieces) : Buffer.alloc(0) };
}
