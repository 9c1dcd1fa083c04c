import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { prebuild } from '../../indexing/prebuild.js';
import { checkIndex } from '../../server/index-check.js';
import { SAMPLE_CORPUS, SHARED_MODELS, TINY_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

describe('checkIndex (the server\'s boot check)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let hybrid: string;
  let lexical: string;
  const docs = path.join(SAMPLE_CORPUS, 'leave');

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    hybrid = path.join(dir, 'hybrid');
    lexical = path.join(dir, 'lexical');
    await prebuild({ docsDir: docs, outDir: hybrid, embedding: TINY_MODEL, vectraExport: false, calibration: false });
    await prebuild({ docsDir: docs, outDir: lexical, embedding: TINY_MODEL, lexicalOnly: true });
  }, 60_000);
  afterAll(() => cleanup());

  it('reads the retrieval mode from the manifest', async () => {
    expect(await checkIndex(hybrid, TINY_MODEL)).toMatchObject({ ok: true, retrieval: 'hybrid', generation: expect.stringMatching(/^gen-/) });
    expect(await checkIndex(lexical, { ...TINY_MODEL, modelDir: path.join(dir, 'none') })).toMatchObject({ ok: true, retrieval: 'lexical', reason: expect.stringMatching(/without an embedding model/) });
  });

  it('refuses a missing index, a missing model, another model and another model file, saying what to run', async () => {
    expect(await checkIndex(path.join(dir, 'nothing'), TINY_MODEL)).toMatchObject({ ok: false, retrieval: null, reason: expect.stringMatching(/no index in .*npm run build:index/) });
    expect(await checkIndex(hybrid, { ...TINY_MODEL, modelDir: path.join(dir, 'none') })).toMatchObject({ ok: false, reason: expect.stringMatching(/built with Synthetic\/tiny-random-bert, which is not on disk/) });
    expect(await checkIndex(hybrid, { ...TINY_MODEL, model: 'local/static-use-wordpiece-512' })).toMatchObject({ ok: false, reason: expect.stringMatching(/built for another model/) });
    const altered = path.join(dir, 'altered-models');
    await cp(path.join(SHARED_MODELS, TINY_MODEL.model), path.join(altered, TINY_MODEL.model), { recursive: true });
    await writeFile(path.join(altered, TINY_MODEL.model, 'onnx/model_quantized.onnx'), 'not the same weights');
    expect(await checkIndex(hybrid, { ...TINY_MODEL, modelDir: altered })).toMatchObject({ ok: false, reason: expect.stringMatching(/another file of Synthetic\/tiny-random-bert .*model file sha256/) });
  });

  it('refuses an index whose files were truncated after the build, naming the file, before any question', async () => {
    const damaged = path.join(dir, 'damaged');
    await cp(hybrid, damaged, { recursive: true });
    const generation = path.join(damaged, (await readFile(path.join(damaged, 'CURRENT'), 'utf8')).trim());
    await truncate(path.join(generation, 'chunks.jsonl'), 100);
    expect(await checkIndex(damaged, TINY_MODEL)).toMatchObject({ ok: false, retrieval: null, reason: expect.stringMatching(/chunks\.jsonl does not match the checksum in its manifest.*npm run build:index/) });
  });
});
