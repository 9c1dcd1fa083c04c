import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FILES } from '../../store/index-layout.js';
import { readRows } from '../../store/quantized-vectors.js';
import { ExactRows } from '../../workers/exact-rows.js';
import { tempDir } from '../helpers/temp.js';

/** The exact rows an int8 search rescores: a small index's held once read, a large one's read every time. */
describe('ExactRows', () => {
  const dimensions = 4;
  const rows = 100;
  let dir: string;
  let cleanup: () => Promise<void>;
  // Row r holds r, r + 0.25, r + 0.5, r + 0.75: every value says where it came from.
  const fileOf = (offset: number) => new Uint8Array(Float32Array.from({ length: rows * dimensions }, (_, i) => offset + Math.floor(i / dimensions) + (i % dimensions) / 4).buffer);
  const values = (read: Float32Array[]) => read.map((row) => Array.from(row));

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    await writeFile(path.join(dir, FILES.vectors), fileOf(0));
  });
  afterAll(() => cleanup());

  it('returns the rows the file holds, in the order asked, repeats and ends included, first read and held alike', async () => {
    const asked = [99, 3, 5, 4, 60, 0, 5, 12, 11];
    const exact = new ExactRows(dir, dimensions, rows);
    try {
      const fromDisk = values(readRows(dir, dimensions, asked));
      expect(values(exact.read(asked))).toEqual(fromDisk);
      expect(values(exact.read(asked))).toEqual(fromDisk);
      // Some held, some new, in one call.
      expect(values(exact.read([7, 99, 8, 3]))).toEqual(values(readRows(dir, dimensions, [7, 99, 8, 3])));
      expect(exact.read([42])[0]).toEqual(Float32Array.from([42, 42.25, 42.5, 42.75]));
    } finally {
      exact.close();
    }
  });

  it('holds a row once read when the index fits its bytes, and reads every time when it does not', async () => {
    const held = new ExactRows(dir, dimensions, rows, rows * dimensions * 4);
    const unheld = new ExactRows(dir, dimensions, rows, rows * dimensions * 4 - 1);
    try {
      expect(values(held.read([10, 20]))).toEqual(values(unheld.read([10, 20])));
      // The file changes under them (a test-only act: a generation's files never change): only the reader that holds nothing sees it.
      await writeFile(path.join(dir, FILES.vectors), fileOf(1000));
      held.close();
      unheld.close();
      expect(Array.from(held.read([10])[0]!)).toEqual([10, 10.25, 10.5, 10.75]);
      expect(Array.from(unheld.read([10])[0]!)).toEqual([1010, 1010.25, 1010.5, 1010.75]);
      // A row the held one never read comes from the file as it is now.
      expect(Array.from(held.read([30])[0]!)).toEqual([1030, 1030.25, 1030.5, 1030.75]);
    } finally {
      held.close();
      unheld.close();
      await writeFile(path.join(dir, FILES.vectors), fileOf(0));
    }
  });
});
