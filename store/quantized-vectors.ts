import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { IndexCorruptError } from './errors.js';
import { readThrough } from './file-hash.js';
import { FILES } from './index-layout.js';

/**
 * Unit-length vectors held as int8, one scale per row: `row ≈ codes[row] × scale[row]`. A quarter
 * of float32's memory; a search ranks candidates on these and rescores the best exactly from the
 * float32 file on disk (see readRows).
 */
export interface QuantizedVectors {
  rows: number;
  dimensions: number;
  /** rows × dimensions, row after row: a view of `memory` (the codes exist once, where the scan kernel reads them). */
  codes: Int8Array;
  /** One per row: a view of `memory`. */
  scales: Float32Array;
  /** The WebAssembly memory that holds the codes and the scales, sized once at load: never grown, so the views stay valid. */
  memory: WebAssembly.Memory;
  /** Where in `memory` its workspace begins (WORKSPACE_BYTES of it, 16-byte aligned): room for a scan's query and outputs. */
  workspace: number;
  /** The unit-length mean of the exact rows (null if they cancel out), computed while they streamed by. */
  centroid: Float32Array | null;
  /**
   * Set when the rows are held in another order than the file's (see arrangeRows): position p of
   * `codes` and `scales` holds row `order[p]`. A scan's positions are mapped back to rows with it.
   */
  order?: Uint32Array;
}

/**
 * Hold the rows in `order` (position p gets row order[p]), moving them in place: one spare row and a
 * byte per row, never a second copy of the codes. An IVF index's list order (its `listRows`) makes
 * each list one block that a search reads forwards: at 250,000 rows a quarter of them, scattered,
 * took 23 to 43 ms to scan (sorted) against 2 to 14 ms for the same count in one block.
 */
export function arrangeRows(vectors: QuantizedVectors, order: Uint32Array): void {
  const { codes, scales, dimensions, rows } = vectors;
  if (order.length !== rows) throw new RangeError(`an order of ${order.length} rows for ${rows}`);
  // The moves assume the rows are where the file put them.
  if (vectors.order) throw new RangeError('the rows are already arranged');
  const placed = new Uint8Array(rows);
  const spare = new Int8Array(dimensions);
  for (let start = 0; start < rows; start++) {
    if (placed[start]) continue;
    // Follow the cycle through `start`: each position takes the row it should hold, the first one's saved in `spare`.
    spare.set(codes.subarray(start * dimensions, (start + 1) * dimensions));
    const spareScale = scales[start]!;
    let at = start;
    for (;;) {
      placed[at] = 1;
      const from = order[at]!;
      if (from === start) {
        codes.set(spare, at * dimensions);
        scales[at] = spareScale;
        break;
      }
      codes.copyWithin(at * dimensions, from * dimensions, (from + 1) * dimensions);
      scales[at] = scales[from]!;
      at = from;
    }
  }
  vectors.order = order;
}

const FLOAT = Float32Array.BYTES_PER_ELEMENT;
const PAGE = 65_536;

/**
 * The bytes a scan of `rows` rows needs past the codes and scales (see workers/int8-scan.ts): the
 * query as int16, a score per row, and a row number per row (a list of candidates).
 */
export function workspaceBytes(rows: number, dimensions: number): number {
  return align16(dimensions * 2) + rows * 8;
}

/**
 * Room for `rows` int8 rows and their scales in one WebAssembly memory, followed by a scan's
 * workspace: the scan kernel reads the codes where they were loaded, so they exist once.
 */
export function allocateQuantized(rows: number, dimensions: number): Pick<QuantizedVectors, 'codes' | 'scales' | 'memory' | 'workspace'> {
  const scalesAt = align16(rows * dimensions);
  const workspace = align16(scalesAt + rows * FLOAT);
  const pages = Math.max(1, Math.ceil((workspace + workspaceBytes(rows, dimensions)) / PAGE));
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  return { codes: new Int8Array(memory.buffer, 0, rows * dimensions), scales: new Float32Array(memory.buffer, scalesAt, rows), memory, workspace };
}

function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/**
 * Read `vectors.f32` as int8 rows, streaming: the float32 file is never whole in memory, only one
 * read buffer of it. Checks its size and, when the manifest recorded one, its sha256.
 */
export async function readQuantizedVectors(dir: string, rows: number, dimensions: number, sha256?: string): Promise<QuantizedVectors> {
  const file = path.join(dir, FILES.vectors);
  const rowBytes = dimensions * FLOAT;
  const allocated = allocateQuantized(rows, dimensions);
  const { codes, scales } = allocated;
  const sum = new Float64Array(dimensions);
  const hash = createHash('sha256');
  const row = new Float32Array(dimensions);
  const rowView = new Uint8Array(row.buffer);
  let filled = 0;
  let at = 0;
  let bytes = 0;
  try {
    bytes = await readThrough(file, (piece) => {
      hash.update(piece);
      for (let offset = 0; offset < piece.length; ) {
        const take = Math.min(rowBytes - filled, piece.length - offset);
        rowView.set(piece.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled < rowBytes) continue;
        if (at < rows) quantizeRow(row, codes, scales, at, sum);
        at++;
        filled = 0;
      }
    });
  } catch (cause) {
    throw new IndexCorruptError(dir, `${FILES.vectors} is missing`, { cause });
  }
  if (bytes !== rows * rowBytes) throw new IndexCorruptError(dir, `${FILES.vectors} has ${bytes} bytes, expected ${rows * rowBytes}`);
  if (sha256 && hash.digest('hex') !== sha256) {
    throw new IndexCorruptError(dir, `${FILES.vectors} does not match the checksum in its manifest (changed or truncated after the build, ${bytes} bytes): rebuild the index`);
  }
  return { rows, dimensions, ...allocated, centroid: unitCentroid(sum) };
}

/**
 * The int8 rows of `vectors` as the build writes them (`vectors.i8`), so that opening a large
 * index reads a quarter of the bytes and quantises nothing: at 250,000 chunks streaming and
 * quantising `vectors.f32` took longer than the server's 20 s task timeout on a busy machine.
 * Layout, little-endian: uint32 rows, uint32 dimensions, uint32 1 when a centroid follows; the
 * codes (int8, rows × dimensions), the scales (float32, rows), the centroid (float32, dimensions).
 */
export function encodeQuantized(vectors: Float32Array, dimensions: number): Uint8Array[] {
  const rows = vectors.length / dimensions;
  const codes = new Int8Array(rows * dimensions);
  const scales = new Float32Array(rows);
  const sum = new Float64Array(dimensions);
  for (let at = 0; at < rows; at++) quantizeRow(vectors.subarray(at * dimensions, (at + 1) * dimensions), codes, scales, at, sum);
  const centroid = unitCentroid(sum);
  // Codes come first after the 12-byte header; padding keeps the scales 4-byte aligned.
  const pad = (4 - ((12 + codes.byteLength) % 4)) % 4;
  return [new Uint8Array(new Uint32Array([rows, dimensions, centroid ? 1 : 0]).buffer), new Uint8Array(codes.buffer), new Uint8Array(pad), new Uint8Array(scales.buffer), ...(centroid ? [new Uint8Array(centroid.buffer)] : [])];
}

/** Read `vectors.i8` (see encodeQuantized), checking its shape and, when given, its sha256 while it streams. */
export async function readQuantizedFile(dir: string, rows: number, dimensions: number, sha256?: string): Promise<QuantizedVectors> {
  const allocated = allocateQuantized(rows, dimensions);
  const { codes, scales } = allocated;
  const centroid = new Float32Array(dimensions);
  const pad = (4 - ((12 + codes.byteLength) % 4)) % 4;
  const header = new Uint8Array(12);
  const sections = [header, new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength), new Uint8Array(pad), new Uint8Array(scales.buffer, scales.byteOffset, scales.byteLength), new Uint8Array(centroid.buffer)];
  const hash = createHash('sha256');
  let section = 0;
  let filled = 0;
  let bytes = 0;
  try {
    bytes = await readThrough(path.join(dir, FILES.quantized), (piece) => {
      if (sha256) hash.update(piece);
      for (let offset = 0; offset < piece.length && section < sections.length; ) {
        const target = sections[section]!;
        const take = Math.min(target.length - filled, piece.length - offset);
        target.set(piece.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === target.length) {
          section++;
          filled = 0;
        }
      }
    });
  } catch (cause) {
    throw new IndexCorruptError(dir, `${FILES.quantized} is missing`, { cause });
  }
  const [fileRows, fileDimensions, hasCentroid] = new Uint32Array(header.buffer);
  const expected = 12 + codes.byteLength + pad + scales.byteLength + (hasCentroid ? centroid.byteLength : 0);
  if (fileRows !== rows || fileDimensions !== dimensions || bytes !== expected) {
    throw new IndexCorruptError(dir, `${FILES.quantized} holds ${fileRows} rows of ${fileDimensions} dimensions in ${bytes} bytes, expected ${rows} of ${dimensions}`);
  }
  if (sha256 && hash.digest('hex') !== sha256) {
    throw new IndexCorruptError(dir, `${FILES.quantized} does not match the checksum in its manifest (changed or truncated after the build, ${bytes} bytes): rebuild the index`);
  }
  return { rows, dimensions, ...allocated, centroid: hasCentroid ? centroid : null };
}

function unitCentroid(sum: Float64Array): Float32Array | null {
  const norm = Math.hypot(...sum);
  return norm > 1e-9 ? Float32Array.from(sum, (v) => v / norm) : null;
}

/** One row into int8 at row `at` with its own scale (largest magnitude ↦ 127), adding the exact row to `sum` when given. */
export function quantizeRow(row: Float32Array, codes: Int8Array, scales: Float32Array, at: number, sum?: Float64Array): void {
  let largest = 0;
  for (let d = 0; d < row.length; d++) {
    largest = Math.max(largest, Math.abs(row[d]!));
    if (sum) sum[d]! += row[d]!;
  }
  const scale = largest / 127 || 1;
  scales[at] = scale;
  const base = at * row.length;
  for (let d = 0; d < row.length; d++) codes[base + d] = Math.round(row[d]! / scale);
}

/** Rows this close (or closer) are read in one call with the rows between them, up to COALESCED_SPAN rows at once. */
const COALESCED_GAP = 8;
const COALESCED_SPAN = 64;

/**
 * The exact float32 rows of a generation, read by offset (a few KB for a search's candidates). The
 * file stays open between searches; `close` releases it (a later read opens it again).
 */
export class RowReader {
  private fd: number | undefined;

  constructor(
    private readonly dir: string,
    private readonly dimensions: number,
  ) {}

  read(rows: readonly number[]): Float32Array[] {
    this.fd ??= openSync(path.join(this.dir, FILES.vectors), 'r');
    const rowBytes = this.dimensions * FLOAT;
    const out: Float32Array[] = new Array<Float32Array>(rows.length);
    const order = rows.map((_, i) => i).sort((a, b) => rows[a]! - rows[b]!);
    for (let first = 0; first < order.length; ) {
      // One read for rows close together: a read call cost about 20 µs here, copying a row 1.
      const start = rows[order[first]!]!;
      let last = first;
      while (last + 1 < order.length && rows[order[last + 1]!]! - rows[order[last]!]! <= COALESCED_GAP && rows[order[last + 1]!]! - start < COALESCED_SPAN) last++;
      const span = rows[order[last]!]! - start + 1;
      const bytes = new Uint8Array(span * rowBytes);
      const read = readSync(this.fd, bytes, 0, bytes.length, start * rowBytes);
      if (read !== bytes.length) throw new IndexCorruptError(this.dir, `${FILES.vectors} ended before row ${start + span - 1}`);
      const spanRows = new Float32Array(bytes.buffer);
      for (let i = first; i <= last; i++) {
        const at = (rows[order[i]!]! - start) * this.dimensions;
        out[order[i]!] = spanRows.subarray(at, at + this.dimensions);
      }
      first = last + 1;
    }
    return out;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The exact float32 rows asked for, with the file opened for this read only. */
export function readRows(dir: string, dimensions: number, rows: readonly number[]): Float32Array[] {
  const reader = new RowReader(dir, dimensions);
  try {
    return reader.read(rows);
  } finally {
    reader.close();
  }
}
