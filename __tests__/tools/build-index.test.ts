import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { locateIndex, readManifest } from '../../store/index-files.js';
import { buildIndex, buildSettings, ModelUnavailableError } from '../../tools/build-index.js';
import { MODEL_SOURCE_FILE } from '../../workers/model-config.js';
import { SAMPLE_CORPUS, SHARED_MODELS, TINY_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const TINY_SHA = '26ac1c2475133b6933b9f77cdace68d75067ed1d5c3fc02123683c6a3eb8341e';

/** A model hub on loopback that serves the tiny model's files as huggingface.co does: `/<ORG/NAME>/resolve/<revision>/<file>`. */
async function fakeHub(): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const match = /^\/Synthetic\/tiny-random-bert\/resolve\/([^/]+)\/(.+)$/.exec(req.url ?? '');
    if (!match) return void res.writeHead(404).end();
    // As the hub does: large files come from a CDN whose response does not name the commit.
    const large = match[2]!.endsWith('.onnx');
    readFile(path.join(SHARED_MODELS, TINY_MODEL.model, match[2]!)).then(
      (body) => res.writeHead(200, large ? {} : { 'x-repo-commit': COMMIT }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe('npm run build:index', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let hub: Awaited<ReturnType<typeof fakeHub>>;
  const quiet = { info: () => undefined, warn: () => undefined };

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    hub = await fakeHub();
  });
  afterAll(async () => {
    await new Promise((resolve) => hub.server.close(resolve));
    await cleanup();
  });

  it('fetches the model once into ./models, pinned: revision and ONNX sha256 beside it and in the manifest', async () => {
    const cwd = path.join(dir, 'first-run');
    const env = { EMBEDDING_MODEL: TINY_MODEL.model, MODEL_HOST: hub.url, SAMPLE_CORPUS_DIR: SAMPLE_CORPUS };
    const report = await buildIndex(buildSettings(env, cwd), quiet);
    expect(report).toMatchObject({ action: 'built', retrieval: 'hybrid', docsDir: SAMPLE_CORPUS, indexDir: path.join(cwd, 'data/index') });
    expect(hub.requests).toContain('/Synthetic/tiny-random-bert/resolve/main/onnx/model_quantized.onnx');
    const source = JSON.parse(await readFile(path.join(cwd, 'models', TINY_MODEL.model, MODEL_SOURCE_FILE), 'utf8')) as Record<string, string>;
    expect(source).toMatchObject({ id: TINY_MODEL.model, revision: COMMIT, sha256: TINY_SHA });
    const manifest = await readManifest(await locateIndex(path.join(cwd, 'data/index')));
    expect(manifest.model).toMatchObject({ id: TINY_MODEL.model, revision: COMMIT, fileSha256: TINY_SHA });

    // The second start downloads nothing and builds nothing.
    const fetched = hub.requests.length;
    expect(await buildIndex(buildSettings(env, cwd), quiet)).toMatchObject({ action: 'current', retrieval: 'hybrid' });
    expect(hub.requests.length).toBe(fetched);
  });

  it('refuses a model whose ONNX file is not the pinned one (MODEL_SHA256)', async () => {
    const cwd = path.join(dir, 'pinned');
    const env = { EMBEDDING_MODEL: TINY_MODEL.model, MODEL_HOST: hub.url, SAMPLE_CORPUS_DIR: SAMPLE_CORPUS, MODEL_SHA256: 'f'.repeat(64) };
    const error = await buildIndex(buildSettings(env, cwd), quiet).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect((error as Error).message).toContain(`MODEL_SHA256 pins ${'f'.repeat(64)}`);
    expect((error as Error).message).toContain('ALLOW_LEXICAL_FALLBACK=true');
  });

  it('builds the user\'s documents when documents/ holds any, and keeps an INDEX_DIR of one\'s own when it does not', async () => {
    const cwd = path.join(dir, 'own');
    const env = { EMBEDDING_MODEL: TINY_MODEL.model, MODEL_DIR: SHARED_MODELS, ALLOW_REMOTE_MODELS: 'false', DOCS_DIR: path.join(SAMPLE_CORPUS, 'leave') };
    expect(await buildIndex(buildSettings(env, cwd), quiet)).toMatchObject({ action: 'built', docsDir: path.join(SAMPLE_CORPUS, 'leave') });
    expect(await buildIndex(buildSettings({ ...env, DOCS_DIR: '', INDEX_DIR: path.join(cwd, 'data/index') }, cwd), quiet)).toMatchObject({ action: 'kept', retrieval: null });
    await expect(buildIndex(buildSettings({ ...env, DOCS_DIR: path.join(dir, 'nothing') }, cwd), quiet)).rejects.toThrow(/DOCS_DIR is .* which holds no/);
  });

  it('without downloads and without the model: fails with the fix, or builds keyword-only when opted in', async () => {
    const cwd = path.join(dir, 'offline');
    const env = { MODEL_DIR: path.join(dir, 'empty-models'), ALLOW_REMOTE_MODELS: 'false', SAMPLE_CORPUS_DIR: SAMPLE_CORPUS };
    await expect(buildIndex(buildSettings(env, cwd), quiet)).rejects.toThrow(/downloads are off \(ALLOW_REMOTE_MODELS=false\)[\s\S]*set ALLOW_LEXICAL_FALLBACK=true/);
    const warnings: string[] = [];
    const report = await buildIndex(buildSettings({ ...env, ALLOW_LEXICAL_FALLBACK: 'true' }, cwd), { info: () => undefined, warn: (m) => warnings.push(m) });
    expect(report).toMatchObject({ action: 'built', retrieval: 'lexical' });
    expect(warnings.join('\n')).toMatch(/KEYWORD SEARCH ONLY/);
    expect(() => buildSettings({ ALLOW_LEXICAL_FALLBACK: 'maybe' }, cwd)).toThrow(/ALLOW_LEXICAL_FALLBACK must be true or false/);
  });
});
