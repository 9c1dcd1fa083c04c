import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SkippedDocumentsError } from '../../indexing/errors.js';
import { prebuild, type PrebuildReport } from '../../indexing/prebuild.js';
import { locateIndex, readIndex } from '../../store/index-files.js';
import { MIXED_QUESTIONS, writeMixedDocuments } from '../helpers/mixed-documents.js';
import { SHARED_MODELS, STATIC_MODEL } from '../helpers/models.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { tempDir } from '../helpers/temp.js';

interface AskBody {
  answer: string;
  mode: string;
  citations: { source: string; page?: number; start: number; end: number; snippet: string }[];
}

describe('a folder of PDF, Word and HTML documents, built and asked through the real server', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let docsDir: string;
  let indexDir: string;
  let report: PrebuildReport;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    docsDir = path.join(dir, 'docs');
    indexDir = path.join(dir, 'index');
    await mkdir(docsDir);
    await writeMixedDocuments(docsDir);
    report = await prebuild({ docsDir, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
    server = await startServerProcess({ INDEX_DIR: indexDir, MODEL_DIR: SHARED_MODELS, EMBEDDING_MODEL: STATIC_MODEL.model });
  }, 120_000);

  afterAll(async () => {
    if (server) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await cleanup();
  });

  it('builds the readable files and skips the others with their reasons', async () => {
    expect(report.documents).toBe(3);
    expect(report.skipped).toEqual([
      { source: 'broken.docx', reason: expect.stringMatching(/^corrupt DOCX \(/) },
      { source: 'scanned-contract.pdf', reason: 'no text layer (scanned?)' },
    ]);
    const chunks = (await readIndex(indexDir)).chunks.all();
    expect(new Set(chunks.filter((c) => c.source === 'facilities.pdf').map((c) => c.page))).toEqual(new Set([1, 2]));
    expect(chunks.filter((c) => c.source !== 'facilities.pdf').every((c) => !('page' in c))).toBe(true);
  });

  it.each(MIXED_QUESTIONS)('answers "$question" citing $source', async ({ question, source, answer, page }) => {
    const res = await fetch(`${server!.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as AskBody;
    expect(body.mode).toBe('extractive');
    const first = body.citations[0]!;
    expect(first.source).toBe(source);
    expect(first.page).toBe(page);
    expect(body.answer).toContain(answer);
  });

  it('gives the page with each PDF passage a search returns', async () => {
    const res = await fetch(`${server!.url}/api/search?q=${encodeURIComponent(MIXED_QUESTIONS[0]!.question)}&k=3`);
    const body = (await res.json()) as { results: { source: string; page?: number; start: number; end: number }[] };
    expect(body.results[0]).toMatchObject({ source: 'facilities.pdf', page: 2 });
  });

  it('refuses a strict build with skipped files, leaving the live index as it was', async () => {
    const before = await locateIndex(indexDir);
    await expect(prebuild({ docsDir, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false, strict: true })).rejects.toThrow(SkippedDocumentsError);
    expect(await locateIndex(indexDir)).toBe(before);
  }, 60_000);
});
