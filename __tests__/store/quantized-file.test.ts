import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IndexCorruptError } from '../../store/errors.js';
import { FILES } from '../../store/index-layout.js';
import { encodeQuantized, readQuantizedFile, readQuantizedVectors } from '../../store/quantized-vectors.js';
import { tempDir } from '../helpers/temp.js';

/** Unit rows of an uneven width, so the codes' length is not a multiple of 4 and the padding is exercised. */
function unitRows(rows: number, dimensions: number): Float32Array {
  const out = new Float32Array(rows * dimensions);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let d = 0; d < dimensions; d++) norm += (out[r * dimensions + d] = Math.sin(r * 7.1 + d * 1.3) + 0.3) ** 2;
    for (let d = 0; d < dimensions; d++) out[r * dimensions + d]! /= Math.sqrt(norm);
  }
  return out;
}

describe('int8 vectors written at build time (vectors.i8)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('reads back the codes, scales and centroid that quantising vectors.f32 while it streams gives', async () => {
    const rows = 37;
    const dimensions = 13;
    const vectors = unitRows(rows, dimensions);
    await writeFile(path.join(dir, FILES.vectors), new Uint8Array(vectors.buffer));
    await writeFile(path.join(dir, FILES.quantized), encodeQuantized(vectors, dimensions));
    const fromFile = await readQuantizedFile(dir, rows, dimensions);
    const streamed = await readQuantizedVectors(dir, rows, dimensions);
    expect(fromFile.codes).toEqual(streamed.codes);
    expect(fromFile.scales).toEqual(streamed.scales);
    expect(fromFile.centroid).toEqual(streamed.centroid);
  });

  it('refuses a file of another shape, a truncated one, or one whose checksum differs', async () => {
    const vectors = unitRows(5, 8);
    await writeFile(path.join(dir, FILES.quantized), encodeQuantized(vectors, 8));
    await expect(readQuantizedFile(dir, 6, 8)).rejects.toThrow(/holds 5 rows of 8 dimensions/);
    await expect(readQuantizedFile(dir, 5, 8, 'f'.repeat(64))).rejects.toThrow(/vectors\.i8 does not match the checksum/);
    await truncate(path.join(dir, FILES.quantized), 30);
    await expect(readQuantizedFile(dir, 5, 8)).rejects.toBeInstanceOf(IndexCorruptError);
  });
});
