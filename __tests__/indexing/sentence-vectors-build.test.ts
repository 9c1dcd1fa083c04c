import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readIndex } from '../../store/index-files.js';
import { FILES } from '../../store/index-layout.js';
import type { Manifest } from '../../store/manifest.js';
import type { SentenceRows } from '../../store/sentence-vectors.js';
import { prebuild, type PrebuildOptions } from '../../indexing/prebuild.js';
import { staleReason } from '../../indexing/index-freshness.js';
import { parsePrebuildArgs, USAGE } from '../../tools/prebuild-cli.js';
import { quotableSentences, SENTENCE_SPLITTER_REVISION } from '../../text/sentences.js';
import { STATIC_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

const page = (title: string, n: number) =>
  `---\ntitle: ${title}\n---\n\n## Rules\n\n${Array.from({ length: n }, (_, i) => `Rule ${i} of ${title} asks staff to file form ${i * 7} before the end of the month.`).join(' ')}\n\n## Contacts\n\nAsk the ${title.toLowerCase()} desk on Slack for help with anything else.\n`;

/** Each chunk's stored rows by chunk id, copied out of the live generation. */
async function rowsById(out: string): Promise<Map<string, SentenceRows>> {
  const index = await readIndex(out, 'int8', { sentenceSplitter: SENTENCE_SPLITTER_REVISION });
  const rows = new Map<string, SentenceRows>();
  index.chunks.all().forEach((chunk, row) => rows.set(chunk.id, index.sentences!.read(row)));
  index.sentences!.close();
  index.chunks.close();
  return rows;
}

describe('prebuild with sentence vectors (static model)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let docs: string;
  let out: string;
  let options: PrebuildOptions;

  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());
  beforeEach(async () => {
    docs = path.join(dir, `docs-${Date.now()}`);
    out = path.join(dir, `index-${Date.now()}`);
    await mkdir(docs, { recursive: true });
    await writeFile(path.join(docs, 'leave.md'), page('Leave', 14));
    await writeFile(path.join(docs, 'travel.md'), page('Travel', 20));
    await writeFile(path.join(docs, 'security.md'), page('Security', 9));
    options = { docsDir: docs, outDir: out, embedding: STATIC_MODEL, chunkTokens: 64, vectraExport: false, calibration: false };
  });

  it('stores as many rows for each chunk as the worker splits sentences from it', async () => {
    const report = await prebuild(options);
    expect(report.sentenceVectors).toMatchObject({ reusedChunks: 0 });
    const index = await readIndex(out, 'int8', { sentenceSplitter: SENTENCE_SPLITTER_REVISION });
    const chunks = index.chunks.all();
    const counts = chunks.map((chunk) => quotableSentences(chunk.text).length);
    expect(chunks.map((_, row) => index.sentences!.count(row))).toEqual(counts);
    const total = counts.reduce((a, b) => a + b, 0);
    expect(index.manifest.sentenceVectors).toEqual({ file: FILES.sentenceVectors, sentences: total, splitterRevision: SENTENCE_SPLITTER_REVISION });
    expect(report.sentenceVectors!.sentences).toBe(total);
    // A sentence two chunks share (an overlap) is embedded once.
    expect(report.sentenceVectors!.embedded).toBe(new Set(chunks.flatMap((chunk) => quotableSentences(chunk.text))).size);
    expect((await stat(path.join(index.dir, FILES.sentenceVectors))).size).toBe(report.sentenceVectors!.bytes);
    index.chunks.close();
  });

  it('an incremental build copies unchanged documents\' rows forward, byte for byte, and embeds only the changed one\'s', async () => {
    const first = await prebuild(options);
    const before = await rowsById(out);
    await writeFile(path.join(docs, 'travel.md'), page('Travel', 20).replace('Rule 3 of Travel', 'Rule three of the Travel policy'));
    const second = await prebuild(options);
    expect(second.reusedDocuments).toBe(2);
    expect(second.sentenceVectors!.reusedChunks).toBe(second.reusedChunks);
    expect(second.sentenceVectors!.embedded).toBeLessThan(first.sentenceVectors!.embedded);
    const after = await rowsById(out);
    const index = await readIndex(out);
    const unchanged = index.chunks.all().filter((chunk) => chunk.source !== 'travel.md');
    index.chunks.close();
    expect(unchanged.length).toBe(second.reusedChunks);
    for (const chunk of unchanged) {
      const was = before.get(chunk.id)!;
      const now = after.get(chunk.id)!;
      expect(Buffer.from(now.codes.buffer).equals(Buffer.from(was.codes.buffer))).toBe(true);
      expect([...now.scales]).toEqual([...was.scales]);
    }
  });

  it('embeds every sentence again when the live generation was split with another splitter revision', async () => {
    const first = await prebuild(options);
    const manifestFile = path.join(first.generationDir, FILES.manifest);
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
    manifest.sentenceVectors!.splitterRevision = SENTENCE_SPLITTER_REVISION + 1;
    await writeFile(manifestFile, JSON.stringify(manifest));
    expect(await staleReason(options)).toBe(`its sentence vectors were split by sentence splitter revision ${SENTENCE_SPLITTER_REVISION + 1}, ${SENTENCE_SPLITTER_REVISION} now`);
    const second = await prebuild(options);
    expect(second.reusedChunks).toBe(first.chunks);
    expect(second.sentenceVectors).toMatchObject({ reusedChunks: 0, embedded: first.sentenceVectors!.embedded });
  });

  it('with `sentenceVectors: false` writes none; a later build with them embeds them all while reusing the chunk vectors', async () => {
    const without = await prebuild({ ...options, sentenceVectors: false });
    expect(without.sentenceVectors).toBeUndefined();
    expect(without.manifest.sentenceVectors).toBeUndefined();
    await expect(stat(path.join(without.generationDir, FILES.sentenceVectors))).rejects.toThrow(/ENOENT/);
    expect(await staleReason({ ...options, sentenceVectors: false })).toBeNull();
    expect(await staleReason(options)).toBe('built without sentence vectors');
    const withThem = await prebuild(options);
    expect(await staleReason(options)).toBeNull();
    expect(withThem.reusedChunks).toBe(without.chunks);
    expect(withThem.sentenceVectors!.reusedChunks).toBe(0);
    expect(withThem.manifest.sentenceVectors?.sentences).toBe(withThem.sentenceVectors!.sentences);
  });

  it('`--no-sentence-vectors` turns them off, as does a PostgreSQL store (which keeps none); by default the build decides by size', () => {
    const base = ['--docs', 'd', '--out', 'o'];
    expect(parsePrebuildArgs([...base, '--no-sentence-vectors'], {}).sentenceVectors).toBe(false);
    expect(parsePrebuildArgs(['--docs', 'd', '--store', 'postgres://u@h/db'], {}).sentenceVectors).toBe(false);
    expect(parsePrebuildArgs(base, {}).sentenceVectors).toBeUndefined();
    expect(USAGE).toContain('--no-sentence-vectors');
  });
});
