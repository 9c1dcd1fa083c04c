import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { IndexCorruptError } from './errors.js';
import { FILES } from './index-layout.js';
import { quantizeRow } from './quantized-vectors.js';

/**
 * The quotable sentences of one chunk as int8 rows with one scale each (`row ≈ codes × scale`), in
 * the order the splitter returns them. Scoring them against a question is a dot product: no model call.
 */
export interface SentenceRows {
  /** One per sentence. */
  scales: Float32Array;
  /** `scales.length × dimensions`, row-major. */
  codes: Int8Array;
}

const HEADER_BYTES = 12;

/** Unit-length float32 rows (row-major) as int8 with one scale each (largest magnitude ↦ 127). */
export function quantizeSentences(vectors: Float32Array, dimensions: number): SentenceRows {
  const count = dimensions ? vectors.length / dimensions : 0;
  const scales = new Float32Array(count);
  const codes = new Int8Array(count * dimensions);
  for (let row = 0; row < count; row++) quantizeRow(vectors.subarray(row * dimensions, (row + 1) * dimensions), codes, scales, row);
  return { scales, codes };
}

/**
 * The bytes of `sentences.i8`, every chunk's rows in chunk order. Layout, little-endian: uint32
 * chunks, sentences, dimensions; uint32 offsets (first sentence row of each chunk, then the total:
 * chunks + 1 of them); float32 scales (one per sentence); int8 codes (sentences × dimensions), last,
 * so a chunk's codes are one contiguous read.
 */
export function encodeSentenceVectors(perChunk: readonly SentenceRows[], dimensions: number): Uint8Array[] {
  const offsets = new Uint32Array(perChunk.length + 1);
  perChunk.forEach((rows, chunk) => (offsets[chunk + 1] = offsets[chunk]! + rows.scales.length));
  const sentences = offsets[perChunk.length]!;
  const scales = new Float32Array(sentences);
  perChunk.forEach((rows, chunk) => scales.set(rows.scales, offsets[chunk]!));
  const header = new Uint32Array([perChunk.length, sentences, dimensions]);
  const codes = perChunk.map((rows) => new Uint8Array(rows.codes.buffer, rows.codes.byteOffset, rows.codes.byteLength));
  return [new Uint8Array(header.buffer), new Uint8Array(offsets.buffer), new Uint8Array(scales.buffer), ...codes];
}

/**
 * A generation's sentence vectors: offsets and scales in memory (8 bytes a sentence and 4 a chunk),
 * codes read from disk by chunk. The file stays open between reads; `close` releases it.
 */
export class SentenceVectors {
  private fd: number | undefined;

  private constructor(
    readonly dir: string,
    readonly dimensions: number,
    private readonly offsets: Uint32Array,
    private readonly scales: Float32Array,
    /** Where the codes start in the file. */
    private readonly codesAt: number,
  ) {}

  /**
   * Open `sentences.i8` of generation `dir`, checking that its shape agrees with the manifest's
   * `chunks` and `dimensions` and with its own size (its checksum is the caller's: see readIndex).
   */
  static open(dir: string, chunks: number, dimensions: number): SentenceVectors {
    const file = path.join(dir, FILES.sentenceVectors);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (cause) {
      throw new IndexCorruptError(dir, `${FILES.sentenceVectors} is missing`, { cause });
    }
    try {
      const header = new Uint32Array(3);
      readExactly(dir, fd, new Uint8Array(header.buffer), 0);
      const [fileChunks, sentences, fileDimensions] = header as unknown as [number, number, number];
      if (fileChunks !== chunks || fileDimensions !== dimensions) {
        throw new IndexCorruptError(dir, `${FILES.sentenceVectors} holds ${fileChunks} chunks of ${fileDimensions} dimensions, expected ${chunks} of ${dimensions}`);
      }
      const offsets = new Uint32Array(chunks + 1);
      readExactly(dir, fd, new Uint8Array(offsets.buffer), HEADER_BYTES);
      const scales = new Float32Array(sentences);
      readExactly(dir, fd, new Uint8Array(scales.buffer), HEADER_BYTES + offsets.byteLength);
      const codesAt = HEADER_BYTES + offsets.byteLength + scales.byteLength;
      const size = codesAt + sentences * dimensions;
      const bytes = fstatSync(fd).size;
      if (bytes !== size || offsets[chunks] !== sentences || !isAscending(offsets)) {
        throw new IndexCorruptError(dir, `${FILES.sentenceVectors} has ${bytes} bytes, expected ${size} for ${sentences} sentences in ascending chunk order: rebuild the index`);
      }
      return new SentenceVectors(dir, dimensions, offsets, scales, codesAt);
    } finally {
      closeSync(fd);
    }
  }

  /** How many sentence rows the file holds. */
  get sentences(): number {
    return this.scales.length;
  }

  /** How many sentence rows `chunk` has. */
  count(chunk: number): number {
    return this.offsets[chunk + 1]! - this.offsets[chunk]!;
  }

  /** The rows of one chunk (one read of its codes). */
  read(chunk: number): SentenceRows {
    if (!(chunk >= 0 && chunk < this.offsets.length - 1)) throw new RangeError(`chunk ${chunk} outside 0..${this.offsets.length - 1}`);
    const from = this.offsets[chunk]!;
    const to = this.offsets[chunk + 1]!;
    const codes = new Int8Array((to - from) * this.dimensions);
    this.fd ??= openSync(path.join(this.dir, FILES.sentenceVectors), 'r');
    if (codes.length) readExactly(this.dir, this.fd, new Uint8Array(codes.buffer), this.codesAt + from * this.dimensions);
    return { scales: this.scales.slice(from, to), codes };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The cosine of a unit-length query with each row (the rows' own rounding aside). */
export function rowCosines(rows: SentenceRows, query: Float32Array): Float32Array {
  const dimensions = query.length;
  const out = new Float32Array(rows.scales.length);
  for (let row = 0; row < out.length; row++) {
    const base = row * dimensions;
    let sum = 0;
    for (let d = 0; d < dimensions; d++) sum += rows.codes[base + d]! * query[d]!;
    out[row] = sum * rows.scales[row]!;
  }
  return out;
}

function readExactly(dir: string, fd: number, into: Uint8Array, position: number): void {
  const read = into.length ? readSync(fd, into, 0, into.length, position) : 0;
  if (read !== into.length) throw new IndexCorruptError(dir, `${FILES.sentenceVectors} ended at byte ${position + read}, before its layout's end: rebuild the index`);
}

function isAscending(offsets: Uint32Array): boolean {
  for (let i = 1; i < offsets.length; i++) if (offsets[i]! < offsets[i - 1]!) return false;
  return true;
}
