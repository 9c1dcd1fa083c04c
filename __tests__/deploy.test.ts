import { describe, expect, it } from '@jest/globals';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path, { resolve } from 'node:path';
import { procfileCommand } from '../tools/testing/server-process.js';

/** The deploy files must start the server the same way: same entry, same malloc settings. */
describe('deploy files', () => {
  const { env: procfile, nodeArgs } = procfileCommand();
  const render = readFileSync('render.yaml', 'utf8');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; engines: { node: string } };
  const appJson = JSON.parse(readFileSync('app.json', 'utf8')) as { buildpacks: { url: string }[]; env: Record<string, { value?: string; required?: boolean }>; formation: { web: { size: string } } };

  it('the Procfile sets the malloc settings and runs the compiled server', () => {
    // One arena: with two, a recycled worker could land in the arena the last one did not free into, and each life settled higher (README "Memory").
    expect(procfile).toEqual({ MALLOC_ARENA_MAX: '1', MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '4194304' });
    expect(nodeArgs).toEqual(['--max-semi-space-size=1', '--heap-growing-percent=10']);
    expect(readFileSync('Procfile', 'utf8')).toMatch(/ node --max-semi-space-size=1 --heap-growing-percent=10 dist\/server\/index\.js\n$/);
  });

  it('render.yaml and npm start carry the same settings as the Procfile', () => {
    for (const [key, value] of Object.entries(procfile)) {
      expect(render).toContain(`- key: ${key}\n        value: "${value}"`);
      expect(pkg.scripts.start).toContain(`${key}=${value}`);
    }
    // Each runs the server under bin/supervise, which restarts it after a native crash (README, "Security on a public URL").
    expect(render).toContain(`startCommand: bin/supervise node ${nodeArgs.join(' ')} dist/server/index.js`);
    expect(pkg.scripts.start).toContain(`bin/supervise node ${nodeArgs.join(' ')} dist/server/index.js`);
    expect(readFileSync('Procfile', 'utf8')).toContain(' bin/supervise node ');
    expect(render).toMatch(/healthCheckPath: \/healthz/);
  });

  it('every deploy build runs the build step, and nothing allows a download at run time', () => {
    expect(pkg.scripts['heroku-postbuild']).toContain('npm run build:index');
    expect(render).toMatch(/buildCommand: npm ci --include=dev && npm run build && npm run build:index && npm prune --omit=dev && npm run prune:slug\n/);
    expect(render).not.toMatch(/- key: ALLOW_(?:REMOTE_MODELS|LEXICAL_FALLBACK)\b/);
    // npm start falls back to keyword search (a laptop offline); the deploy builds do not.
    expect(pkg.scripts.start).toMatch(/^node tools\/build-if-stale\.mjs && node dist\/tools\/build-index-cli\.js --lexical-fallback && /);
    expect(pkg.scripts['build:index']).not.toContain('--lexical-fallback');
  });

  it('app.json (the Heroku button) uses the Node buildpack, a 512 MB dyno, and asks only for the LLM, the fallback and the proxy hops', () => {
    expect(appJson.buildpacks).toEqual([{ url: 'heroku/nodejs' }]);
    expect(['eco', 'basic']).toContain(appJson.formation.web.size);
    expect(Object.keys(appJson.env).sort()).toEqual(['ALLOW_LEXICAL_FALLBACK', 'LLM_API_KEY', 'LLM_BASE_URL', 'LLM_MODEL', 'RATE_LIMIT_PER_MINUTE', 'TRUST_PROXY_HOPS']);
    expect(appJson.env.RATE_LIMIT_PER_MINUTE?.value).toBe('60');
    expect(render).toContain('- key: RATE_LIMIT_PER_MINUTE\n        value: "60"');
    // Heroku's router is one proxy; render.yaml says the same for Render's.
    expect(appJson.env.TRUST_PROXY_HOPS?.value).toBe('1');
    expect(render).toContain('- key: TRUST_PROXY_HOPS\n        value: "1"');
    expect(Object.values(appJson.env).every((variable) => variable.required === false)).toBe(true);
    expect(appJson.env.ALLOW_LEXICAL_FALLBACK?.value).toBe('false');
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

  it('transformers.js gets our onnxruntime-web stand-in, and its Node build never imports onnxruntime-web', () => {
    const entry = createRequire(import.meta.url).resolve('@huggingface/transformers');
    const fromTransformers = createRequire(entry);
    expect(realpathSync(fromTransformers.resolve('onnxruntime-web'))).toBe(resolve('deps/onnxruntime-web-absent/index.js'));
    expect(() => fromTransformers('onnxruntime-web')).toThrow(/installed without onnxruntime-web/);
    // The ESM Node build the worker loads: onnxruntime-node by name, onnxruntime-web only bundled inline (a comment names its path).
    const nodeBuild = readFileSync(resolve(path.dirname(entry), 'transformers.node.mjs'), 'utf8');
    expect(nodeBuild).toMatch(/require\w*\("onnxruntime-node"\)/);
    expect(nodeBuild).not.toMatch(/(?:from|import\(|require\w*\()\s*["']onnxruntime-web["']/);
  });
});
