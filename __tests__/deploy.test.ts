import { describe, expect, it } from '@jest/globals';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { procfileCommand } from '../tools/testing/server-process.js';

/** The deploy files must start the server the same way: same entry, same malloc settings. */
describe('deploy files', () => {
  const { env: procfile, nodeArgs } = procfileCommand();
  const render = readFileSync('render.yaml', 'utf8');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; engines: { node: string } };

  it('the Procfile sets the malloc settings and runs the compiled server', () => {
    expect(procfile).toEqual({ MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '131072' });
    expect(nodeArgs).toEqual(['--max-semi-space-size=1', '--heap-growing-percent=10']);
    expect(readFileSync('Procfile', 'utf8')).toMatch(/ node --max-semi-space-size=1 --heap-growing-percent=10 dist\/server\/index\.js\n$/);
  });

  it('render.yaml and npm start carry the same settings as the Procfile', () => {
    for (const [key, value] of Object.entries(procfile)) {
      expect(render).toContain(`- key: ${key}\n        value: "${value}"`);
      expect(pkg.scripts.start).toContain(`${key}=${value}`);
    }
    expect(render).toContain(`startCommand: node ${nodeArgs.join(' ')} dist/server/index.js`);
    expect(pkg.scripts.start).toContain(`node ${nodeArgs.join(' ')} dist/server/index.js`);
    expect(render).toMatch(/healthCheckPath: \/healthz/);
  });

  it('transformers.js gets our sharp stand-in, so neither sharp nor libvips is installed or loaded', () => {
    const fromTransformers = createRequire(createRequire(import.meta.url).resolve('@huggingface/transformers'));
    expect(realpathSync(fromTransformers.resolve('sharp'))).toBe(resolve('deps/sharp-absent/index.js'));
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { version?: string }> };
    expect(Object.keys(lock.packages).filter((key) => /node_modules\/@img\//.test(key))).toEqual([]);
    expect(lock.packages['deps/sharp-absent']?.version).toBe('0.0.0-absent');
    const sharp = fromTransformers('sharp') as () => unknown;
    expect(() => sharp()).toThrow(/image inputs are not supported/);
  });
});
