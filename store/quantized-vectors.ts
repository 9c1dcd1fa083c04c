import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { IndexCorruptError } from './errors.js';
import { FILES } from './index-layout.js';

/**
 * Unit-length vectors held as int8, one scale per row: `row ≈ codes[row] × scale[row]`. A quarter
 * of float32's memory; a search ranks candidates on these and rescores the best exactly from the
 * float32 file on disk (see readRows).
 */
export interface QuantizedVectors {
  rows: number;
  dimensions: number;
  codes: Int8Array;
  scales: Float32Array;
  /** The unit-length mean of the exact rows (null if they cancel out), computed while they streamed by. */
  centroid: Float32Array | null;
}

const FLOAT = Float32Array.BYTES_PER_ELEMENT;

/**
 * Read `vectors.f32` as int8 rows, streaming: the float32 file is never whole in memory, only one
 * read buffer of it. Checks its size and, when the manifest recorded one, its sha256.
 */
export async function readQuantizedVectors(dir: string, rows: number, dimensions: number, sha256?: string): Promise<QuantizedVectors> {
  const file = path.join(dir, FILES.vectors);
  const rowBytes = dimensions * FLOAT;
  const codes = new Int8Array(rows * dimensions);
  const scales = new Float32Array(rows);
  const sum = new Float64Array(dimensions);
  const hash = createHash('sha256');
  const row = new Float32Array(dimensions);
  const rowView = new Uint8Array(row.buffer);
  let filled = 0;
  let at = 0;
  let bytes = 0;
  try {
    for await (const piece of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(piece);
      bytes += piece.length;
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
    }
  } catch (cause) {
    throw new IndexCorruptError(dir, `${FILES.vectors} is missing`, { cause });
  }
  if (bytes !== rows * rowBytes) throw new IndexCorruptError(dir, `${FILES.vectors} has ${bytes} bytes, expected ${rows * rowBytes}`);
  if (sha256 && hash.digest('hex') !== sha256) {
    throw new IndexCorruptError(dir, `${FILES.vectors} does not match the checksum in its manifest (changed or truncated after the build, ${bytes} bytes): rebuild the index`);
  }
  const norm = Math.hypot(...sum);
  const centroid = norm > 1e-9 ? Float32Array.from(sum, (v) => v / norm) : null;
  return { rows, dimensions, codes, scales, centroid };
}

/** One row into int8 with its own scale (largest magnitude ↦ 127), adding the exact row to `sum`. */
function quantizeRow(row: Float32Array, codes: Int8Array, scales: Float32Array, at: number, sum: Float64Array): void {
  let largest = 0;
  for (let d = 0; d < row.length; d++) {
    largest = Math.max(largest, Math.abs(row[d]!));
    sum[d]! += row[d]!;
  }
  const scale = largest / 127 || 1;
  scales[at] = scale;
  const base = at * row.length;
  for (let d = 0; d < row.length; d++) codes[base + d] = Math.round(row[d]! / scale);
}

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
    const fd = this.fd;
    return rows.map((row) => {
      const out = new Float32Array(this.dimensions);
      const read = readSync(fd, new Uint8Array(out.buffer), 0, this.dimensions * FLOAT, row * this.dimensions * FLOAT);
      if (read !== this.dimensions * FLOAT) throw new IndexCorruptError(this.dir, `${FILES.vectors} ended before row ${row}`);
      return out;
    });
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
