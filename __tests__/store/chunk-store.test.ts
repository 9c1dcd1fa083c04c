import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beginGeneration, commitGeneration } from '../../store/atomic-swap.js';
import type { ChunkRecord, DocumentRecord } from '../../store/chunk-record.js';
import { ChunkStore } from '../../store/chunk-store.js';
import { IndexCorruptError } from '../../store/errors.js';
import { readIndex, writeGenerationFiles } from '../../store/index-files.js';
import { FILES } from '../../store/index-layout.js';
import type { Manifest } from '../../store/manifest.js';
import { documentText } from '../../workers/document-text.js';
import { buildLexicalIndex, LexicalIndex } from '../../workers/lexical-index.js';
import { tempDir } from '../helpers/temp.js';

/** Three documents of a few chunks each, with text that is not ASCII, so byte offsets and character offsets differ. */
const SOURCES = ['guide/leave.md', 'guide/travel.md', 'policies/security.md'];
const CHUNKS: ChunkRecord[] = SOURCES.flatMap((source, s) =>
  Array.from({ length: 3 + s }, (_, k) => ({
    id: `${s}-${k}`, source, title: `Title ${s}`, headings: [`Part ${k}`], start: k * 10, end: k * 10 + 10,
    text: `Chunk ${k} of ${source}: naïve café — ${'é'.repeat(k)}`, tokens: 12, ...(s === 2 ? { page: k + 1 } : {}),
  })),
);
const DOCUMENTS: DocumentRecord[] = SOURCES.map((source, s) => ({ source, title: `Title ${s}`, contentHash: 'h', firstChunk: CHUNKS.findIndex((c) => c.source === source), chunkCount: 3 + s }));

function manifest(): Manifest {
  return {
    formatVersion: 2, tool: { name: 'rag512', version: 'test' }, createdAt: new Date().toISOString(), model: null,
    chunking: { maxTokens: 64, overlapTokens: 8, revision: 1 },
    corpus: { hash: 'h', documents: SOURCES.length, skipped: 0, chunks: CHUNKS.length, tokens: 10 },
    files: { chunks: FILES.chunks, vectors: null, lexical: FILES.lexical, documents: FILES.documents, vectra: null },
  };
}

describe('chunk records read by offset', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let live: string;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    const { tempDir: temp, name } = await beginGeneration(dir);
    await writeGenerationFiles(temp, { manifest: manifest(), chunks: CHUNKS, documents: DOCUMENTS, vectors: null, lexical: buildLexicalIndex(CHUNKS) });
    live = await commitGeneration(dir, temp, name);
  });
  afterEach(() => cleanup());

  it('gives back every record as written, one by one, by range and all at once', async () => {
    const { chunks } = await readIndex(dir);
    expect(chunks).toHaveLength(CHUNKS.length);
    CHUNKS.forEach((chunk, row) => expect(chunks.get(row)).toEqual(chunk));
    expect(chunks.range(2, 5)).toEqual(CHUNKS.slice(2, 5));
    expect(chunks.all()).toEqual(CHUNKS);
    expect([...chunks]).toEqual(CHUNKS);
    expect(() => chunks.get(CHUNKS.length)).toThrow(RangeError);
    chunks.close();
    // Closed, it opens the file again on the next read.
    expect(chunks.get(0)).toEqual(CHUNKS[0]);
    chunks.close();
  });

  it("finds a source's rows and filters by source prefix from the documents, without parsing other records", async () => {
    const { chunks } = await readIndex(dir);
    expect(chunks.ofSource('guide/travel.md')).toEqual(CHUNKS.filter((c) => c.source === 'guide/travel.md'));
    expect(chunks.ofSource('nowhere.md')).toEqual([]);
    const guide = chunks.sourceFilter('guide/');
    expect(CHUNKS.map((_, row) => guide(row))).toEqual(CHUNKS.map((c) => c.source.startsWith('guide/')));
    expect(CHUNKS.map((_, row) => chunks.sourceOf(row))).toEqual(CHUNKS.map((c) => c.source));
    expect(documentText(chunks, 'policies/security.md')).toEqual(documentText(CHUNKS, 'policies/security.md'));
    chunks.close();
  });

  it('refuses an offsets table or a records file changed after the build', async () => {
    const offsetsFile = path.join(live, FILES.chunkOffsets);
    const offsets = await readFile(offsetsFile);
    await writeFile(offsetsFile, offsets.subarray(8));
    await expect(readIndex(dir)).rejects.toThrow(/chunks\.offsets does not match the checksum/);
    await writeFile(offsetsFile, offsets);
    const recordsFile = path.join(live, FILES.chunks);
    await writeFile(recordsFile, (await readFile(recordsFile, 'utf8')).replace('café', 'cafe'));
    await expect(readIndex(dir)).rejects.toThrow(/chunks\.jsonl does not match the checksum/);
  });

  it('without checksums (the boot check already hashed them), still refuses a records file of the wrong size or none', async () => {
    const recordsFile = path.join(live, FILES.chunks);
    const records = await readFile(recordsFile);
    const offsets = new Float64Array(new Uint8Array(await readFile(path.join(live, FILES.chunkOffsets))).buffer);
    const documents = JSON.parse(await readFile(path.join(live, FILES.documents), 'utf8')) as DocumentRecord[];
    const store = await ChunkStore.open(live, CHUNKS.length, documents);
    expect(store.get(1)).toEqual(CHUNKS[1]);
    store.close();
    await writeFile(recordsFile, records.subarray(5));
    await expect(ChunkStore.open(live, CHUNKS.length, documents)).rejects.toThrow(`chunks.jsonl has ${records.length - 5} bytes, its offsets end at ${offsets[CHUNKS.length]}`);
    await rm(recordsFile);
    await expect(ChunkStore.open(live, CHUNKS.length, documents)).rejects.toThrow(/chunks\.jsonl is missing/);
  });

  it('refuses an index of the older format (chunks.json, lexical.json), saying to rebuild', async () => {
    const file = path.join(live, FILES.manifest);
    await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), formatVersion: 1 }));
    const error = await readIndex(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IndexCorruptError);
    expect((error as Error).message).toMatch(/format version 1, expected 2.*rebuild/);
  });

  it('keeps keyword search on the file identical to the same index held in memory', async () => {
    const onDisk = await LexicalIndex.open(path.join(live, FILES.lexical));
    const inMemory = LexicalIndex.load(buildLexicalIndex(CHUNKS));
    for (const query of ['naïve café', 'chunk travel', 'security part', 'cafes', 'nothing here']) {
      expect(onDisk.search(query, 10)).toEqual(inMemory.search(query, 10));
    }
    onDisk.close();
    expect(onDisk.search('café', 3).hits.length).toBeGreaterThan(0);
    onDisk.close();
  });
});
