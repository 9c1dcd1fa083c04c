import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Piscina } from 'piscina';
import { prebuild } from '../../indexing/prebuild.js';
import { loadConfig } from '../../server/config.js';
import { checkIndex } from '../../server/index-check.js';
import { silentLogger } from '../../server/logger.js';
import { startService } from '../../server/service.js';
import { Embedder } from '../../workers/embedder.js';
import { hashModelFile, hashModelFileIdentified, modelFilePath, modelFileSha256, type EmbeddingConfig, type ModelFileHash } from '../../workers/model-config.js';
import type { SearchOutput, WorkerConfig, WorkerResult } from '../../workers/protocol.js';
import { FUSION, SAMPLE_CORPUS, SHARED_MODELS, TINY_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

// ts-jest does not transform code inside worker threads: the pool runs the compiled worker.
const WORKER = path.resolve('dist/workers/worker.js');
/** A sha256 no file here has: returned only when the hash was reused, not read. */
const MARKER = 'f'.repeat(64);

describe('the model file hashed once, at boot, and reused while the file is unchanged', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let model: EmbeddingConfig;
  let indexDir: string;
  const pools: Piscina[] = [];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    // A copy of the tiny model: the tests touch and replace its ONNX file.
    model = { ...TINY_MODEL, modelDir: path.join(dir, 'models') };
    await cp(path.join(SHARED_MODELS, TINY_MODEL.model), path.join(model.modelDir, TINY_MODEL.model), { recursive: true });
    indexDir = path.join(dir, 'index');
    await prebuild({ docsDir: path.join(SAMPLE_CORPUS, 'leave'), outDir: indexDir, embedding: model, vectraExport: false, calibration: false });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.destroy()));
    await cleanup();
  });

  const current = async (): Promise<ModelFileHash> => {
    const file = modelFilePath(model);
    const { size, mtimeMs, ctimeMs, dev, ino } = await stat(file);
    return { file, size, mtimeMs, ctimeMs, dev, ino, sha256: await hashModelFile(model) };
  };

  it('the boot check returns the hash it took with the identity of the file it read', async () => {
    const check = await checkIndex(indexDir, model);
    expect(check).toMatchObject({ ok: true, retrieval: 'hybrid' });
    expect(check.modelFile).toEqual(await current());
    expect(await hashModelFileIdentified(model)).toEqual({ sha256: check.modelFile!.sha256, identified: check.modelFile });
  });

  it('reuses a known hash for the same file, and reads the file again once it was touched or replaced', async () => {
    const real = await current();
    expect(await modelFileSha256(model, { ...real, sha256: MARKER })).toBe(MARKER);
    expect(await modelFileSha256(model)).toBe(real.sha256);
    // Another path, size, mtime or inode: the known hash is not this file's.
    for (const other of [{ file: `${real.file}.other` }, { size: real.size + 1 }, { mtimeMs: real.mtimeMs - 1000 }, { ctimeMs: real.ctimeMs - 1000 }, { dev: real.dev + 1 }, { ino: real.ino + 1 }]) {
      expect(await modelFileSha256(model, { ...real, ...other, sha256: MARKER })).toBe(real.sha256);
    }
    // Replaced by a rename (how a deploy swaps files): a hash known of the old inode, with the new file's size and mtime, is not reused.
    await cp(real.file, `${real.file}.new`);
    await rename(`${real.file}.new`, real.file);
    const replaced = await stat(real.file);
    expect(replaced.ino).not.toBe(real.ino);
    expect(await modelFileSha256(model, { ...real, size: replaced.size, mtimeMs: replaced.mtimeMs, sha256: MARKER })).toBe(real.sha256);
    // Touched in place: same inode, another mtime.
    const now = await current();
    await utimes(now.file, new Date(), new Date(Date.now() + 5000));
    expect(await modelFileSha256(model, { ...now, sha256: MARKER })).toBe(now.sha256);
    // Rewritten in place with other bytes of the same size, its mtime put back as `cp -p` or
    // `rsync --inplace` would: same inode, size and mtime, but another ctime. (A whole-millisecond
    // mtime, so that putting it back through utimes gives exactly the same value.)
    const stamp = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    await utimes(now.file, stamp, stamp);
    const before = await current();
    const bytes = await readFile(before.file);
    try {
      const other = Buffer.from(bytes);
      other.writeUInt8(other.readUInt8(other.length - 1) ^ 0xff, other.length - 1);
      await writeFile(before.file, other);
      await utimes(before.file, stamp, stamp);
      // The kernel stamps ctime from a coarse clock (a few ms a tick): on a fast machine the rewrite can
      // land in the tick `before` was read in. Touch again until the clock has moved (as a real
      // rewrite, later than the boot check, would be).
      while ((await stat(before.file)).ctimeMs === before.ctimeMs) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        await utimes(before.file, stamp, stamp);
      }
      const rewritten = await stat(before.file);
      expect([rewritten.ino, rewritten.size, rewritten.mtimeMs]).toEqual([before.ino, before.size, before.mtimeMs]);
      const rewrittenSha = await hashModelFile(model);
      expect(rewrittenSha).not.toBe(before.sha256);
      expect(await modelFileSha256(model, before)).toBe(rewrittenSha);
    } finally {
      await writeFile(before.file, bytes);
    }
  });

  it('the embedder fingerprints the model with the known hash instead of reading the file', async () => {
    const known = await current();
    expect((await Embedder.load({ ...model, allowRemote: false }, { ...known, sha256: MARKER })).fingerprint.fileSha256).toBe(MARKER);
    expect((await Embedder.load({ ...model, allowRemote: false }, { ...known, ino: known.ino + 1, sha256: MARKER })).fingerprint.fileSha256).toBe(known.sha256);
  });

  it('a worker given the boot check\'s hash in workerData uses it: a wrong one is refused as another file, a stale one is read again', async () => {
    const known = await current();
    const search = async (modelFile: ModelFileHash) => {
      const workerData: WorkerConfig = { indexDir, embedding: model, fusion: FUSION, modelFile };
      const piscina = new Piscina({ filename: WORKER, minThreads: 0, maxThreads: 1, workerData });
      pools.push(piscina);
      return (await piscina.run({ task: 'search', query: 'How many vacation days do I get?', topK: 3 })) as WorkerResult<SearchOutput>;
    };
    // The index was built with the real file; a worker that trusts the marker sees another file and refuses.
    expect(await search({ ...known, sha256: MARKER })).toMatchObject({ ok: false, message: expect.stringMatching(/model file sha256/) });
    expect(await search(known)).toMatchObject({ ok: true, value: { retrieval: 'hybrid' } });
    expect(await search({ ...known, mtimeMs: known.mtimeMs + 1, sha256: MARKER })).toMatchObject({ ok: true, value: { retrieval: 'hybrid' } });
  });

  it('the service hands the boot check\'s hash to its workers', async () => {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', INDEX_DIR: indexDir, MODEL_DIR: model.modelDir, EMBEDDING_MODEL: model.model, MEMORY_LIMIT_MB: '100000', WORKER_RECYCLE_RSS_MB: '65536' });
    const check = await checkIndex(indexDir, model);
    // Both ceilings far above this process (a Jest worker that has run other files can be past the
    // default 400 MB recycle threshold), so the model is always admitted and its hash always checked:
    // a worker searching by keywords alone would answer 200 without reading the model at all.
    const status = async (modelFile: ModelFileHash) => {
      const service = await startService(config, { log: silentLogger, version: 'test', workerFile: WORKER, indexCheck: { ...check, modelFile } });
      try {
        const response = await fetch(`${service.url}/api/search?q=vacation`);
        const body = (await response.json()) as { retrieval?: string };
        if (response.status === 200) expect(body.retrieval).toBe('hybrid');
        return response.status;
      } finally {
        await service.shutdown(5000);
      }
    };
    // A wrong hash for this very file, as a check could have left it, reaches the worker: it refuses the index.
    expect(await status({ ...check.modelFile!, sha256: MARKER })).toBe(503);
    expect(await status(check.modelFile!)).toBe(200);
  });
});
