import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readdir, readFile, writeFile, mkdir, truncate } from 'node:fs/promises';
import path from 'node:path';
import { beginGeneration, commitGeneration, resolveCurrentGeneration } from '../../store/atomic-swap.js';
import { IndexCorruptError, IndexNotFoundError } from '../../store/errors.js';
import { readIndex, verifyGeneration, writeGenerationFiles } from '../../store/index-files.js';
import { FILES } from '../../store/index-layout.js';
import type { Manifest } from '../../store/manifest.js';
import { buildLexicalIndex } from '../../workers/lexical-index.js';
import { tempDir } from '../helpers/temp.js';

function manifest(chunks: number): Manifest {
  return {
    formatVersion: 2, tool: { name: 'rag512', version: 'test' }, createdAt: new Date().toISOString(),
    model: { id: 'x/y', dimensions: 2, fileSha256: 'f'.repeat(64), dtype: 'q8', pooling: 'mean', maxTokens: 128 },
    chunking: { maxTokens: 64, overlapTokens: 8, revision: 1 },
    corpus: { hash: 'h', documents: 1, skipped: 0, chunks, tokens: 10 },
    files: { chunks: FILES.chunks, vectors: FILES.vectors, lexical: FILES.lexical, documents: FILES.documents, vectra: null },
  };
}

const chunk = (i: number) => ({ id: `c${i}`, source: 'a.md', title: 'A', headings: [], start: i, end: i + 1, text: 'x', tokens: 3 });

async function writeGeneration(indexDir: string, rows: number): Promise<string> {
  const { tempDir: temp, name } = await beginGeneration(indexDir);
  await writeGenerationFiles(temp, {
    manifest: manifest(rows), chunks: Array.from({ length: rows }, (_, i) => chunk(i)), documents: [],
    vectors: new Float32Array(rows * 2).fill(0.5), lexical: buildLexicalIndex([]),
  });
  return commitGeneration(indexDir, temp, name);
}

describe('index generations', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('serves the committed generation, never one still being written', async () => {
    const first = await writeGeneration(dir, 2);
    const { tempDir: temp } = await beginGeneration(dir);
    await writeFile(path.join(temp, FILES.manifest), '{ half written');
    const index = await readIndex(dir);
    expect(index.dir).toBe(first);
    expect(Array.from(index.vectors!)).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('keeps the live and the previous generation, and clears leftovers of killed builds', async () => {
    const first = await writeGeneration(dir, 1);
    await mkdir(path.join(dir, '.tmp-gen-killed'));
    const second = await writeGeneration(dir, 2);
    const third = await writeGeneration(dir, 3);
    const entries = await readdir(dir);
    expect(entries.sort()).toEqual(['CURRENT', path.basename(second), path.basename(third)].sort());
    expect(entries).not.toContain(path.basename(first));
    expect((await readIndex(dir)).chunks).toHaveLength(3);
  });

  it('says clearly when there is no index, or when its files disagree', async () => {
    await expect(readIndex(dir)).rejects.toBeInstanceOf(IndexNotFoundError);
    const live = await writeGeneration(dir, 2);
    await truncate(path.join(live, FILES.vectors), 4);
    const error = await readIndex(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IndexCorruptError);
    expect((error as Error).message).toContain('vectors.f32 does not match the checksum in its manifest');
    // An index built before checksums is still checked for sizes that disagree.
    const older = JSON.parse(await readFile(path.join(live, FILES.manifest), 'utf8')) as Manifest;
    delete older.checksums;
    await writeFile(path.join(live, FILES.manifest), JSON.stringify(older));
    await expect(readIndex(dir)).rejects.toThrow('vectors.f32 has 4 bytes, expected 16');
    await writeFile(path.join(dir, 'CURRENT'), '../../etc\n');
    await expect(readIndex(dir)).rejects.toBeInstanceOf(IndexCorruptError);
  });
});

describe('checksums of a generation\'s files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('records one per data file, and refuses a file changed in place even when it still parses', async () => {
    const live = await writeGeneration(dir, 2);
    const written = JSON.parse(await readFile(path.join(live, FILES.manifest), 'utf8')) as Manifest;
    expect(Object.keys(written.checksums!).sort()).toEqual([FILES.chunks, FILES.chunkOffsets, FILES.documents, FILES.lexical, FILES.vectors, FILES.quantized].sort());
    await expect(verifyGeneration(live, written)).resolves.toBeUndefined();
    const chunksFile = path.join(live, FILES.chunks);
    // Same length, valid JSON, different text: only the checksum can tell.
    await writeFile(chunksFile, (await readFile(chunksFile, 'utf8')).replace('"text":"x"', '"text":"y"'));
    await expect(readIndex(dir)).rejects.toThrow('chunks.jsonl does not match the checksum in its manifest');
    await expect(verifyGeneration(live, written)).rejects.toBeInstanceOf(IndexCorruptError);
  });

  it('refuses a truncated keyword index before parsing it', async () => {
    const live = await writeGeneration(dir, 1);
    await truncate(path.join(live, FILES.lexical), 1);
    await expect(readIndex(dir)).rejects.toThrow('lexical.bin does not match the checksum');
  });
});

describe('resolveCurrentGeneration on a folder named like a generation', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(() => cleanup());

  it('treats it as a generation only once it holds a manifest, so an empty --out named gen-x stays an index folder', async () => {
    const folder = path.join(dir, 'gen-from-a-user');
    await mkdir(folder);
    expect(await resolveCurrentGeneration(folder)).toBeUndefined();
    await writeFile(path.join(folder, FILES.manifest), '{}');
    expect(await resolveCurrentGeneration(folder)).toBe(folder);
  });
});
