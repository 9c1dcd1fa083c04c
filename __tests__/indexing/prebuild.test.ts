import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readIndex } from '../../store/index-files.js';
import { DocsNotFoundError, NoDocumentsError } from '../../indexing/errors.js';
import { prebuild } from '../../indexing/prebuild.js';
import { ModelNotFoundError } from '../../workers/model-config.js';
import { TINY_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

const page = (title: string, n: number) =>
  `---\ntitle: ${title}\n---\n\n## Rules\n\n${Array.from({ length: n }, (_, i) => `Rule ${i} of ${title} says something specific about number ${i * 7}.`).join(' ')}\n\n## Contacts\n\nAsk #${title.toLowerCase().replace(/\W+/g, '-')} on Slack.\n`;

describe('prebuild', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let docs: string;
  let out: string;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    docs = path.join(dir, 'docs');
    out = path.join(dir, 'index');
    await mkdir(path.join(docs, 'policies'), { recursive: true });
    await writeFile(path.join(docs, 'leave.md'), page('Leave', 12));
    await writeFile(path.join(docs, 'policies', 'travel.markdown'), page('Travel', 20));
    await writeFile(path.join(docs, 'policies', 'security.html'), '<html><head><title>Security</title></head><body><h2>Passwords</h2><p>Use a manager.</p></body></html>');
    await writeFile(path.join(docs, 'notes.txt'), 'Plain notes about the office kitchen.');
    await writeFile(path.join(docs, 'empty.md'), '');
    await writeFile(path.join(docs, 'blob.md'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2]));
    await writeFile(path.join(docs, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff]));
    await writeFile(path.join(docs, 'only-template.md'), '{% include org-chart.html %}\n');
    await writeFile(path.join(docs, 'image.png'), Buffer.from([0x89, 0x50]));
  });
  afterEach(() => cleanup());

  it('indexes readable documents, skips and counts the rest, and writes a complete generation', async () => {
    const warnings: string[] = [];
    const report = await prebuild({ docsDir: docs, outDir: out, embedding: TINY_MODEL, chunkTokens: 48, onWarning: (w) => warnings.push(w) });
    expect(report.documents).toBe(4);
    expect(report.skipped.map((s) => `${s.source}: ${s.reason}`).sort()).toEqual([
      'blob.md: binary content',
      'empty.md: empty file',
      'latin1.txt: not UTF-8 text',
      'only-template.md: no readable text after cleaning',
    ]);
    expect(warnings).toHaveLength(4);
    expect(report.chunks).toBeGreaterThan(6);
    expect(report.peakRssBytes).toBeGreaterThan(0);

    const index = await readIndex(out);
    expect(index.manifest).toMatchObject({
      formatVersion: 2,
      tool: { name: 'rag512' },
      model: { id: TINY_MODEL.model, dimensions: 32, dtype: 'q8', pooling: 'mean' },
      chunking: { maxTokens: 48, overlapTokens: 16 },
      corpus: { documents: 4, skipped: 4, chunks: report.chunks, tokens: report.tokens },
    });
    expect(index.manifest.corpus.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(index.vectors).toHaveLength(report.chunks * 32);
    expect(new Set(index.chunks.all().map((c) => c.source))).toEqual(new Set(['leave.md', 'policies/travel.markdown', 'policies/security.html', 'notes.txt']));
    for (const chunk of index.chunks.all()) {
      expect(chunk.tokens).toBeLessThanOrEqual(48);
      expect(chunk.id).toMatch(/^[0-9a-f]{16}$/);
    }
    const vectra = JSON.parse(await readFile(path.join(index.dir, 'vectra', 'index.json'), 'utf8')) as { items: { id: string; vector: number[] }[] };
    expect(vectra.items.map((i) => i.id)).toEqual(index.chunks.all().map((c) => c.id));
    expect(vectra.items[0]!.vector).toHaveLength(32);
  });

  it('re-embeds only changed documents on a rebuild, keeping vectors of the others', async () => {
    const first = await prebuild({ docsDir: docs, outDir: out, embedding: TINY_MODEL, chunkTokens: 48 });
    const before = await readIndex(out);
    await writeFile(path.join(docs, 'leave.md'), page('Leave', 13));
    await writeFile(path.join(docs, 'new.md'), page('Benefits', 3));
    await rm(path.join(docs, 'notes.txt'));
    const second = await prebuild({ docsDir: docs, outDir: out, embedding: TINY_MODEL, chunkTokens: 48 });
    expect(second.documents).toBe(4);
    expect(second.reusedDocuments).toBe(2);
    const after = await readIndex(out);
    const reusedSources = ['policies/travel.markdown', 'policies/security.html'];
    const reusedChunks = after.chunks.all().filter((c) => reusedSources.includes(c.source));
    expect(second.reusedChunks).toBe(reusedChunks.length);
    expect(second.embeddedChunks).toBe(second.chunks - reusedChunks.length);
    for (const chunk of reusedChunks) {
      const was = before.chunks.all().findIndex((c) => c.id === chunk.id);
      const now = after.chunks.all().findIndex((c) => c.id === chunk.id);
      expect(Array.from(after.vectors!.subarray(now * 32, now * 32 + 32))).toEqual(Array.from(before.vectors!.subarray(was * 32, was * 32 + 32)));
    }
    expect(after.manifest.corpus.hash).not.toBe(before.manifest.corpus.hash);
    expect(first.generationDir).not.toBe(second.generationDir);
    // The live generation and the one before it are kept; nothing else.
    const entries = (await readdir(out)).filter((e) => e.startsWith('gen-'));
    expect(entries.sort()).toEqual([path.basename(first.generationDir), path.basename(second.generationDir)].sort());
  });

  it('builds a lexical-only index without vectors when asked', async () => {
    const report = await prebuild({ docsDir: docs, outDir: out, embedding: { ...TINY_MODEL, model: 'Nobody/missing' }, lexicalOnly: true });
    const index = await readIndex(out);
    expect(index.manifest.model).toBeNull();
    expect(index.vectors).toBeNull();
    expect(report.chunks).toBe(index.chunks.length);
    expect(report.embeddedChunks).toBe(0);
  });

  it('fails with typed errors, leaving the live index untouched', async () => {
    await prebuild({ docsDir: docs, outDir: out, embedding: TINY_MODEL });
    const live = await readFile(path.join(out, 'CURRENT'), 'utf8');
    await expect(prebuild({ docsDir: path.join(dir, 'nope'), outDir: out, embedding: TINY_MODEL })).rejects.toBeInstanceOf(DocsNotFoundError);
    await expect(prebuild({ docsDir: docs, outDir: out, embedding: { ...TINY_MODEL, model: 'Nobody/missing' } })).rejects.toBeInstanceOf(ModelNotFoundError);
    const emptyDocs = path.join(dir, 'empty');
    await mkdir(emptyDocs);
    await writeFile(path.join(emptyDocs, 'x.md'), '');
    await expect(prebuild({ docsDir: emptyDocs, outDir: out, embedding: TINY_MODEL })).rejects.toBeInstanceOf(NoDocumentsError);
    expect(await readFile(path.join(out, 'CURRENT'), 'utf8')).toBe(live);
    expect((await readIndex(out)).manifest.corpus.documents).toBe(4);
  });

  it('honours include and exclude globs', async () => {
    const report = await prebuild({ docsDir: docs, outDir: out, embedding: TINY_MODEL, include: ['policies/**'], exclude: ['**/*.html'] });
    expect(report.documents).toBe(1);
    expect((await readIndex(out)).chunks.all().every((c) => c.source === 'policies/travel.markdown')).toBe(true);
  });
});
