#!/usr/bin/env node
/**
 * `npm run bench:scan [-- --rows 3500,250000 --dimensions 384 --seconds 2]`: the int8 vector scan
 * alone, the plain JavaScript one it replaced (float32 query × int8 row, a closure per row) against
 * the WebAssembly SIMD kernel with its typed-array top-k, on the same rows in one run: rows scanned
 * per millisecond, time per search, and the largest score difference between the two.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { allocateQuantized, type QuantizedVectors } from '../store/quantized-vectors.js';
import { referenceScores, referenceSearch } from '../workers/int8-scan-reference.js';
import { Int8Scan } from '../workers/int8-scan.js';
import { quantizedSearch } from '../workers/vector-search.js';

/** What one index size measured. */
export interface ScanFigures {
  rows: number;
  dimensions: number;
  jsRowsPerMs: number;
  wasmRowsPerMs: number;
  jsMsPerSearch: number;
  wasmMsPerSearch: number;
  largestScoreDifference: number;
}

/** Random int8 rows (the scan's speed does not depend on what they mean), as the store lays them out. */
function randomRows(rows: number, dimensions: number): QuantizedVectors {
  const room = allocateQuantized(rows, dimensions);
  for (let i = 0; i < room.codes.length; i++) room.codes[i] = Math.floor(Math.random() * 255) - 127;
  for (let row = 0; row < rows; row++) room.scales[row] = 1 / (127 * Math.sqrt(dimensions / 3));
  return { rows, dimensions, ...room, centroid: null };
}

function randomQuery(dimensions: number): Float32Array {
  const query = Float32Array.from({ length: dimensions }, () => Math.random() - 0.5);
  const norm = Math.hypot(...query);
  return query.map((v) => v / norm);
}

/** Searches per `seconds` of each scan, alternating so a busy machine slows both alike. */
export function measureScan(rows: number, dimensions: number, seconds: number, limit = 42): ScanFigures {
  const vectors = randomRows(rows, dimensions);
  const queries = Array.from({ length: 16 }, () => randomQuery(dimensions));
  let largestScoreDifference = 0;
  for (const query of queries.slice(0, 4)) {
    const exact = referenceScores(vectors, query);
    const kernel = Int8Scan.of(vectors).scoreAll(query);
    for (let row = 0; row < rows; row++) largestScoreDifference = Math.max(largestScoreDifference, Math.abs(kernel[row]! - exact[row]!));
  }
  const time = { js: 0, wasm: 0 };
  const count = { js: 0, wasm: 0 };
  const until = performance.now() + seconds * 1000;
  for (let round = 0; performance.now() < until; round++) {
    const query = queries[round % queries.length]!;
    let started = performance.now();
    referenceSearch(vectors, query, limit);
    time.js += performance.now() - started;
    count.js++;
    for (let i = 0; i < 4; i++) {
      started = performance.now();
      quantizedSearch(vectors, query, limit);
      time.wasm += performance.now() - started;
      count.wasm++;
    }
  }
  const jsMsPerSearch = time.js / count.js;
  const wasmMsPerSearch = time.wasm / count.wasm;
  return { rows, dimensions, jsRowsPerMs: rows / jsMsPerSearch, wasmRowsPerMs: rows / wasmMsPerSearch, jsMsPerSearch, wasmMsPerSearch, largestScoreDifference };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '3500,250000' }, dimensions: { type: 'string', default: '384' }, seconds: { type: 'string', default: '3' } } });
  for (const rows of values.rows.split(',').map(Number)) {
    const f = measureScan(rows, Number(values.dimensions), Number(values.seconds));
    console.log(
      `${f.rows} rows × ${f.dimensions}: JS ${f.jsMsPerSearch.toFixed(3)} ms/search (${Math.round(f.jsRowsPerMs)} rows/ms), ` +
        `WASM SIMD ${f.wasmMsPerSearch.toFixed(3)} ms/search (${Math.round(f.wasmRowsPerMs)} rows/ms): ${(f.jsMsPerSearch / f.wasmMsPerSearch).toFixed(1)}× faster; largest score difference ${f.largestScoreDifference.toExponential(1)}`,
    );
  }
}
