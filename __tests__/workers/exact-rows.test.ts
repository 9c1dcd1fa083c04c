import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IndexCorruptError } from '../../store/errors.js';
import { FILES } from '../../store/index-layout.js';
import { RowReader, readRows } from '../../store/quantized-vectors.js';
import { tempDir } from '../helpers/temp.js';

/** The exact rows a search rescores, read by offset with nearby rows read together. */
describe('RowReader', () => {
  const dimensions = 5;
  const rows = 200;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    // Row r holds r, r + 0.25, r + 0.5, ...: every value says where it came from.
    const vectors = Float32Array.from({ length: rows * dimensions }, (_, i) => Math.floor(i / dimensions) + (i % dimensions) / 4);
    await writeFile(path.join(dir, FILES.vectors), new Uint8Array(vectors.buffer));
  });
  afterAll(() => cleanup());

  const expected = (row: number) => Array.from({ length: dimensions }, (_, d) => row + d / 4);

  it('returns each row asked for, in the order asked, whether near others, far, repeated or at the ends', () => {
    const asked = [199, 3, 5, 4, 120, 0, 5, 11, 12, 190, 60, 127, 128];
    const reader = new RowReader(dir, dimensions);
    try {
      const read = reader.read(asked);
      expect(read.map((row) => [...row])).toEqual(asked.map(expected));
      expect(read.every((row) => row.length === dimensions)).toBe(true);
      // Far more rows than one span: still each one.
      const many = Array.from({ length: 150 }, (_, i) => (i * 37) % rows);
      expect(reader.read(many).map((row) => row[0])).toEqual(many);
      expect(reader.read([])).toEqual([]);
    } finally {
      reader.close();
    }
  });

  it('refuses a row past the end of the file', () => {
    expect(() => readRows(dir, dimensions, [10, 200])).toThrow(IndexCorruptError);
    expect(() => readRows(dir, dimensions, [10, 200])).toThrow(/vectors\.f32 ended before row 200/);
  });
});
