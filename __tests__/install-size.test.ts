import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { productionInstall, productionInstallMb } from '../tools/install-size.js';
import { prunablePaths } from '../tools/prune-slug.js';

/**
 * What a deploy uploads. Heroku refuses slugs over 500 MB compressed and every deploy uploads the
 * install, so it is bounded: 652 MB before the stand-ins, the pruning and the optional vectra
 * export; about 130 MB after. A new dependency that passes the bound must say why it is worth it.
 */
const BOUND_MB = 160;

describe('the production install', () => {
  const root = path.resolve('.');

  it(`stays under ${BOUND_MB} MB after npm ci --omit=dev and npm run prune:slug`, () => {
    const mb = productionInstallMb(root);
    // The measure must see the packages that run here, or the bound passes vacuously.
    expect(mb).toBeGreaterThan(40);
    expect(mb).toBeLessThan(BOUND_MB);
  });

  it('holds none of what is never loaded in Node on Linux', () => {
    const packages = [...productionInstall(root).keys()];
    expect(packages).not.toContain('node_modules/vectra');
    expect(packages).not.toContain('node_modules/gpt-tokenizer');
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { version?: string; link?: boolean; resolved?: string }> };
    expect(lock.packages['deps/onnxruntime-web-absent']?.version).toBe('0.0.0-absent');
    expect(lock.packages['node_modules/onnxruntime-web']).toMatchObject({ link: true, resolved: 'deps/onnxruntime-web-absent' });
    expect(Object.keys(lock.packages).filter((key) => /node_modules\/onnxruntime-web\/|\/node_modules\/onnxruntime-web$/.test(key))).toEqual([]);
  });

  it('prunes other systems\' onnxruntime binaries but keeps this one\'s', () => {
    const nodeModules = path.join(root, 'node_modules');
    const linux = prunablePaths(nodeModules, 'linux', 'x64').map((p) => path.relative(nodeModules, p));
    expect(linux).toEqual(expect.arrayContaining(['onnxruntime-node/bin/napi-v6/darwin', 'onnxruntime-node/bin/napi-v6/win32', 'onnxruntime-node/bin/napi-v6/linux/arm64']));
    expect(linux.some((p) => p.includes('linux/x64'))).toBe(false);
    expect(prunablePaths(nodeModules, 'darwin', 'arm64').map((p) => path.relative(nodeModules, p))).toContain('onnxruntime-node/bin/napi-v6/linux');
  });
});
