import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readIndex } from '../../store/index-files.js';
import { HANDBOOK_18F, SHARED_MODELS, TINY_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

const CLI = path.resolve('dist/tools/prebuild-cli.js');

function runBuild(out: string, killAfterMs?: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--docs', HANDBOOK_18F, '--out', out, '--model', TINY_MODEL.model, '--model-dir', SHARED_MODELS, '--full', '--quiet'], { stdio: 'ignore' });
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('prebuild killed at any moment', () => {
  let out: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    out = path.join(dir, 'index');
  });
  afterAll(() => cleanup());

  it('leaves the previous generation live and loadable, and the next build still succeeds', async () => {
    expect(await runBuild(out)).toBe(0);
    const good = await readIndex(out);
    // Kill points spread over the whole build: module load, reading, embedding, writing.
    for (const ms of [150, 400, 800, 1200, 1600, 2000, 2400, 2800, 3200]) {
      await runBuild(out, ms);
      const live = await readIndex(out);
      expect(live.chunks.length).toBe(good.chunks.length);
      expect(live.vectors?.length).toBe(good.vectors?.length);
    }
    expect(await runBuild(out)).toBe(0);
    const entries = await readdir(out);
    expect(entries.filter((e) => e.startsWith('.tmp-'))).toEqual([]);
    // Eleven builds take about 40 s on an idle 2-core machine and twice that or more beside a busy neighbour.
  }, 300_000);
});
