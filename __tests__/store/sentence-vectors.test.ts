import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFile, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { beginGeneration, commitGeneration } from '../../store/atomic-swap.js';
import { IndexCorruptError } from '../../store/errors.js';
import { readIndex, verifyGeneration, writeGenerationFiles } from '../../store/index-files.js';
import { FILES } from '../../store/index-layout.js';
import type { Manifest } from '../../store/manifest.js';
import { encodeSentenceVectors, quantizeSentences, rowCosines, SentenceVectors } from '../../store/sentence-vectors.js';
import { buildLexicalIndex } from '../../workers/lexical-index.js';
import { tempDir } from '../helpers/temp.js';

const DIMS = 4;

/** Unit-length rows from a seed, so each sentence has its own direction. */
function unitRows(count: number, seed: number): Float32Array {
  const rows = new Float32Array(count * DIMS);
  for (let r = 0; r < count; r++) {
    for (let d = 0; d < DIMS; d++) rows[r * DIMS + d] = Math.sin(seed * 7.1 + r * 3.3 + d * 1.7);
    const norm = Math.hypot(...rows.subarray(r * DIMS, (r + 1) * DIMS));
    for (let d = 0; d < DIMS; d++) rows[r * DIMS + d]! /= norm;
  }
  return rows;
}

function manifest(chunks: number): Manifest {
  return {
    formatVersion: 2, tool: { name: 'rag512', version: 'test' }, createdAt: new Date().toISOString(),
    model: { id: 'x/y', dimensions: DIMS, fileSha256: 'f'.repeat(64), dtype: 'q8', pooling: 'mean', maxTokens: 128 },
    chunking: { maxTokens: 64, overlapTokens: 8, revision: 1 },
    corpus: { hash: 'h', documents: 1, skipped: 0, chunks, tokens: 10 },
    files: { chunks: FILES.chunks, vectors: FILES.vectors, lexical: FILES.lexical, documents: FILES.documents, vectra: null },
  };
}

/** Three chunks holding 2, 0 and 3 sentences. */
const SENTENCE_COUNTS = [2, 0, 3];

async function writeGeneration(indexDir: string, splitterRevision: number): Promise<string> {
  const { tempDir: temp, name } = await beginGeneration(indexDir);
  const chunks = SENTENCE_COUNTS.map((_, i) => ({ id: `c${i}`, source: 'a.md', title: 'A', headings: [], start: i, end: i + 1, text: 'x', tokens: 3 }));
  await writeGenerationFiles(temp, {
    manifest: manifest(chunks.length), chunks, documents: [], vectors: unitRows(chunks.length, 9), lexical: buildLexicalIndex([]),
    sentenceVectors: { perChunk: SENTENCE_COUNTS.map((n, i) => quantizeSentences(unitRows(n, i), DIMS)), splitterRevision },
  });
  return commitGeneration(indexDir, temp, name);
}

describe('sentence vectors file', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('reads back each chunk\'s rows by its offsets, their cosines those of the float rows within int8 rounding', async () => {
    const generation = await writeGeneration(dir, 3);
    const index = await readIndex(dir, 'int8', { sentenceSplitter: 3 });
    expect(index.manifest.sentenceVectors).toEqual({ file: FILES.sentenceVectors, sentences: 5, splitterRevision: 3 });
    expect(index.manifest.checksums?.[FILES.sentenceVectors]).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(path.join(generation, FILES.sentenceVectors))).size).toBe(12 + 4 * 4 + 5 * (4 + DIMS));
    const stored = index.sentences!;
    expect(stored.sentences).toBe(5);
    expect(SENTENCE_COUNTS.map((_, i) => stored.count(i))).toEqual(SENTENCE_COUNTS);
    const query = unitRows(1, 42);
    SENTENCE_COUNTS.forEach((n, chunk) => {
      const exact = unitRows(n, chunk);
      const cosines = rowCosines(stored.read(chunk), query);
      expect(cosines).toHaveLength(n);
      cosines.forEach((cosine, i) => {
        const truth = exact.subarray(i * DIMS, (i + 1) * DIMS).reduce((sum, v, d) => sum + v * query[d]!, 0);
        expect(Math.abs(cosine - truth)).toBeLessThan(0.02);
      });
    });
    expect(() => stored.read(3)).toThrow(RangeError);
    stored.close();
    index.chunks.close();
  });

  it('is left closed when the reader splits sentences with another revision, or asks for none', async () => {
    await writeGeneration(dir, 3);
    expect((await readIndex(dir, 'int8', { sentenceSplitter: 4 })).sentences).toBeNull();
    expect((await readIndex(dir, 'int8')).sentences).toBeNull();
  });

  it('a truncated file is refused by its manifest checksum, and by its own size without one', async () => {
    const generation = await writeGeneration(dir, 1);
    const file = path.join(generation, FILES.sentenceVectors);
    await truncate(file, (await stat(file)).size - 3);
    await expect(readIndex(dir, 'int8', { sentenceSplitter: 1 })).rejects.toThrow(/sentences\.i8 does not match the checksum in its manifest/);
    await expect(verifyGeneration(generation, JSON.parse(await readFile(path.join(generation, FILES.manifest), 'utf8')) as Manifest)).rejects.toBeInstanceOf(IndexCorruptError);
    expect(() => SentenceVectors.open(generation, 3, DIMS)).toThrow(/sentences\.i8 has \d+ bytes, expected \d+/);
    expect(() => SentenceVectors.open(generation, 4, DIMS)).toThrow(/holds 3 chunks of 4 dimensions, expected 4 of 4/);
  });

  it('writes no file and no manifest entry without sentence rows', async () => {
    const { tempDir: temp, name } = await beginGeneration(dir);
    const m = manifest(1);
    m.sentenceVectors = { file: FILES.sentenceVectors, sentences: 9, splitterRevision: 1 };
    await writeGenerationFiles(temp, { manifest: m, chunks: [{ id: 'c', source: 'a.md', title: 'A', headings: [], start: 0, end: 1, text: 'x', tokens: 1 }], documents: [], vectors: unitRows(1, 1), lexical: buildLexicalIndex([]) });
    const generation = await commitGeneration(dir, temp, name);
    const written = JSON.parse(await readFile(path.join(generation, FILES.manifest), 'utf8')) as Manifest;
    expect(written.sentenceVectors).toBeUndefined();
    await expect(stat(path.join(generation, FILES.sentenceVectors))).rejects.toThrow(/ENOENT/);
  });

  it('lays out header, offsets, scales and codes as documented', () => {
    const rows = [quantizeSentences(unitRows(2, 1), DIMS), quantizeSentences(unitRows(1, 2), DIMS)];
    const bytes = Buffer.concat(encodeSentenceVectors(rows, DIMS));
    expect([...new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 24))]).toEqual([2, 3, DIMS, 0, 2, 3]);
    expect(bytes.byteLength).toBe(12 + 12 + 3 * 4 + 3 * DIMS);
  });
});
