import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { staleReason } from '../../indexing/index-freshness.js';
import { prebuild } from '../../indexing/prebuild.js';
import { writeManifest } from '../../store/index-files.js';
import { Embedder } from '../../workers/embedder.js';
import { Retriever } from '../../workers/retriever.js';
import { SAMPLE_CORPUS, STATIC_MODEL, TINY_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

describe('relevance calibration at build time', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(() => cleanup());

  it('records floors measured with the model that built the index, and each model gets its own', async () => {
    const real = await prebuild({ docsDir: SAMPLE_CORPUS, outDir: path.join(dir, 'static'), embedding: STATIC_MODEL, vectraExport: false });
    const tiny = await prebuild({ docsDir: SAMPLE_CORPUS, outDir: path.join(dir, 'tiny'), embedding: TINY_MODEL, vectraExport: false });
    const a = real.manifest.relevance!;
    const b = tiny.manifest.relevance!;
    expect(a.method.unrelatedQuestions).toBeGreaterThanOrEqual(60);
    expect(a.unrelated.similarity.p50).toBeLessThanOrEqual(a.minSimilarity);
    expect(a.minSimilarity).toBeLessThanOrEqual(a.unrelated.similarity.max);
    // A random-weight model puts every sentence close to every other: its floors sit far higher.
    expect(b.minSimilarity).toBeGreaterThan(a.minSimilarity + 0.2);
    expect(b.minCorpusSimilarity).not.toBeCloseTo(a.minCorpusSimilarity, 2);

    // --if-stale: current as built; an index whose manifest lacks the calibration is rebuilt.
    const options = { docsDir: SAMPLE_CORPUS, outDir: path.join(dir, 'static'), embedding: STATIC_MODEL, vectraExport: false };
    expect(await staleReason(options)).toBeNull();
    await writeManifest(real.generationDir, { ...real.manifest, relevance: undefined });
    expect(await staleReason(options)).toBe('built without a relevance calibration');
    await writeManifest(real.generationDir, real.manifest);
    expect(await staleReason(options)).toBeNull();
    // A damaged file makes the index stale (the start rebuilds it instead of saying it is current), as does a build from before checksums.
    const lexicalFile = path.join(real.generationDir, 'lexical.bin');
    const lexical = await readFile(lexicalFile);
    await truncate(lexicalFile, 10);
    expect(await staleReason(options)).toMatch(/^no usable index \(.*lexical\.bin does not match the checksum/);
    await writeFile(lexicalFile, lexical);
    await writeManifest(real.generationDir, { ...real.manifest, checksums: undefined });
    expect(await staleReason(options)).toBe('built before index files carried checksums');
    await writeManifest(real.generationDir, real.manifest);
    expect(await staleReason(options)).toBeNull();
  }, 120_000);

  it('is skipped for a lexical-only index, and the search carries what the manifest says', async () => {
    const lexical = await prebuild({ docsDir: SAMPLE_CORPUS, outDir: path.join(dir, 'lexical'), embedding: STATIC_MODEL, lexicalOnly: true });
    expect(lexical.manifest.relevance).toBeUndefined();

    const embedder = await Embedder.load(STATIC_MODEL);
    const retriever = await Retriever.open({ indexDir: path.join(dir, 'static'), embedder });
    const output = await retriever.search({ query: 'How long is parental leave?', topK: 3 });
    const { minSimilarity, minCorpusSimilarity, minCoverage, minKeywordMatch } = retriever.index.manifest.relevance!;
    expect(output.calibration).toEqual({ minSimilarity, minCorpusSimilarity, minCoverage, minKeywordMatch });
    const keywordOnly = await retriever.search({ query: 'How long is parental leave?', topK: 3, mode: 'lexical' });
    expect(keywordOnly.retrieval).toBe('lexical');
    expect(keywordOnly.calibration).toBeUndefined();
  }, 120_000);
});
