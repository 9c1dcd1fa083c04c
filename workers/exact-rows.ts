import { RowReader } from '../store/quantized-vectors.js';

/**
 * Bytes of exact rows a worker keeps once read (`ExactRows`): all of a small index's. 8 MB hold an
 * index of about 5,400 chunks at 384 dimensions (the 18F handbook's 3,528 take 5.4 MB); a larger
 * index reads its candidates from disk on every search, as before.
 */
export const DEFAULT_HELD_ROWS_BYTES = 8 * 1024 * 1024;

/**
 * The exact float32 rows an int8 search rescores. Read from disk each time, a search's 82
 * candidates cost about 56 read calls, 0.7 ms of CPU here: a fifth of a search. When the whole file
 * fits in `heldBytes`, each row is kept once read (one block for all, filled as searches ask), so
 * the rows of a small index are read once; the values are the file's either way.
 */
export class ExactRows {
  private readonly reader: RowReader;
  /** Every row's place, filled as rows are first read; undefined when the index is too large to hold. */
  private readonly held: Float32Array | undefined;
  private readonly loaded: Uint8Array | undefined;

  constructor(dir: string, private readonly dimensions: number, rows: number, heldBytes = DEFAULT_HELD_ROWS_BYTES) {
    this.reader = new RowReader(dir, dimensions);
    if (rows * dimensions * Float32Array.BYTES_PER_ELEMENT <= heldBytes) {
      this.held = new Float32Array(rows * dimensions);
      this.loaded = new Uint8Array(rows);
    }
  }

  /** The rows asked for, in that order; held rows come as views of the held block, not to be written to. */
  read(rows: readonly number[]): Float32Array[] {
    const { held, loaded } = this;
    if (!held || !loaded) return this.reader.read(rows);
    const missing = [...new Set(rows.filter((row) => !loaded[row]))];
    if (missing.length) {
      const read = this.reader.read(missing);
      missing.forEach((row, i) => {
        held.set(read[i]!, row * this.dimensions);
        loaded[row] = 1;
      });
    }
    return rows.map((row) => held.subarray(row * this.dimensions, (row + 1) * this.dimensions));
  }

  /** Release the file (a later read opens it again); rows already held stay. */
  close(): void {
    this.reader.close();
  }
}
