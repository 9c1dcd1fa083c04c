import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { procfileCommand } from '../tools/server-process.js';

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
});
