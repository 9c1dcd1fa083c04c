import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beginGeneration, commitGeneration } from '../../store/atomic-swap.js';
import { readIndex, readManifest, writeGenerationFiles } from '../../store/index-files.js';
import { FILES } from '../../store/index-layout.js';
import type { Manifest } from '../../store/manifest.js';
import { isVerified, markVerified, VERIFIED_ENV } from '../../store/verified-generation.js';
import { buildLexicalIndex } from '../../workers/lexical-index.js';
import { tempDir } from '../helpers/temp.js';

const CHUNKS = [0, 1].map((i) => ({ id: `c${i}`, source: 'a.md', title: 'A', headings: [], start: i, end: i + 1, text: `text ${i}`, tokens: 3 }));

function manifest(): Manifest {
  return {
    formatVersion: 2, tool: { name: 'rag512', version: 'test' }, createdAt: new Date().toISOString(), model: null,
    chunking: { maxTokens: 64, overlapTokens: 8, revision: 1 },
    corpus: { hash: 'h', documents: 1, skipped: 0, chunks: CHUNKS.length, tokens: 10 },
    files: { chunks: FILES.chunks, vectors: null, lexical: FILES.lexical, documents: FILES.documents, vectra: null },
  };
}

describe('the boot check\'s stamp of a verified generation', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let live: string;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    const { tempDir: temp, name } = await beginGeneration(dir);
    await writeGenerationFiles(temp, { manifest: manifest(), chunks: CHUNKS, documents: [{ source: 'a.md', title: 'A', contentHash: 'h', firstChunk: 0, chunkCount: 2 }], vectors: null, lexical: buildLexicalIndex(CHUNKS) });
    live = await commitGeneration(dir, temp, name);
    delete process.env[VERIFIED_ENV];
  });
  afterEach(async () => {
    delete process.env[VERIFIED_ENV];
    await cleanup();
  });

  it('holds for the files it stamped, and for none changed since', async () => {
    const stamped = await readManifest(live);
    expect(await isVerified(live, stamped)).toBe(false);
    await markVerified(live, stamped);
    expect(await isVerified(live, stamped)).toBe(true);
    expect((await readIndex(dir)).chunks.get(1)).toEqual(CHUNKS[1]);
    const records = path.join(live, FILES.chunks);
    // Same size, other bytes, written later: the stamp no longer holds, the file is hashed and refused.
    await writeFile(records, (await readFile(records, 'utf8')).replace('text 1', 'text 9'));
    expect(await isVerified(live, stamped)).toBe(false);
    await expect(readIndex(dir)).rejects.toThrow(/chunks\.jsonl does not match the checksum/);
  });

  it('reaches a worker thread started after the check, as a copy of the environment (in a process of its own: Jest swaps process.env)', async () => {
    const script = [
      `import { markVerified } from ${JSON.stringify(path.resolve('dist/store/verified-generation.js'))};`,
      `import { readManifest } from ${JSON.stringify(path.resolve('dist/store/index-files.js'))};`,
      "import { Worker } from 'node:worker_threads';",
      `const dir = ${JSON.stringify(live)};`,
      'await markVerified(dir, await readManifest(dir));',
      `const worker = new Worker("require('node:worker_threads').parentPort.postMessage(process.env.${VERIFIED_ENV} ?? null)", { eval: true, execArgv: [] });`,
      "worker.once('message', (seen) => { console.log(JSON.stringify(seen)); void worker.terminate(); });",
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const seen = JSON.parse(run.stdout) as string;
    expect(JSON.parse(seen)).toMatchObject({ dir: path.resolve(live) });
    process.env[VERIFIED_ENV] = seen;
    expect(await isVerified(live, await readManifest(live))).toBe(true);
  });
});
