import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { procfileEnv } from '../tools/server-process.js';

/** The deploy files must start the server the same way: same entry, same malloc settings. */
describe('deploy files', () => {
  const procfile = procfileEnv();
  const render = readFileSync('render.yaml', 'utf8');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; engines: { node: string } };

  it('the Procfile sets the malloc settings and runs the compiled server', () => {
    expect(procfile).toEqual({ MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '131072' });
    expect(readFileSync('Procfile', 'utf8')).toMatch(/ node dist\/server\/index\.js\n$/);
  });

  it('render.yaml and npm start carry the same settings as the Procfile', () => {
    for (const [key, value] of Object.entries(procfile)) {
      expect(render).toContain(`- key: ${key}\n        value: "${value}"`);
      expect(pkg.scripts.start).toContain(`${key}=${value}`);
    }
    expect(render).toMatch(/startCommand: node dist\/server\/index\.js/);
    expect(render).toMatch(/healthCheckPath: \/healthz/);
  });
});
