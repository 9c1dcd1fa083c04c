import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { procfileCommand, startServerProcess, type ServerProcess } from '../tools/testing/server-process.js';
import { SHARED_MODELS, STATIC_MODEL } from './helpers/models.js';
import { tempDir } from './helpers/temp.js';

/**
 * The README's deploy, end to end: a fresh clone of the committed HEAD with the user's documents in
 * documents/, built by the deploy builds' own commands (heroku-postbuild from package.json, the
 * buildCommand from render.yaml) and served as the Procfile serves it. The install is a hard-linked
 * copy of ours (what `npm ci` would write from the same lockfile), so the prune steps cannot touch ours.
 */
const REPO = path.resolve('.');
const MODEL_LINK = path.join('models', ...STATIC_MODEL.model.split('/'));
// Nothing listens on port 9: a fetch fails at once, as the model hub does in CI.
const UNREACHABLE_HUB = 'http://127.0.0.1:9';

function run(command: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn('sh', ['-c', command], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString('utf8')));
  child.stderr.on('data', (data: Buffer) => (output += data.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

interface Answer {
  retrieval: string;
  citations: { source: string }[];
  answer: string;
}

describe('the documented deploy, in a fresh clone', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let app: string;
  const running: ServerProcess[] = [];
  // Build-time and run-time settings are one set on Render and Heroku: the model named here is the one both use.
  const env = { EMBEDDING_MODEL: STATIC_MODEL.model, MODEL_HOST: UNREACHABLE_HUB };
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  const renderBuild = /^\s*buildCommand: (.+)$/m.exec(readFileSync('render.yaml', 'utf8'))?.[1] ?? '';

  /** Start the built app as its Procfile says, in the clone. */
  const serve = async (extra: Record<string, string> = {}) => {
    const { env: procfileEnv, nodeArgs } = procfileCommand(path.join(app, 'Procfile'));
    const server = await startServerProcess({ ...procfileEnv, ...env, ...extra }, nodeArgs, 60_000, path.join(app, 'dist/server/index.js'), app);
    running.push(server);
    return server;
  };
  const ask = async (url: string, question: string) => {
    const res = await fetch(`${url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
    return { status: res.status, body: (await res.json()) as Answer };
  };
  const stop = async (server: ServerProcess) => {
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  };

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('rag512-deploy-'));
    app = path.join(dir, 'app');
    execFileSync('git', ['clone', '--quiet', REPO, app]);
    execFileSync('cp', ['-al', path.join(REPO, 'node_modules'), path.join(app, 'node_modules')]);
    await mkdir(path.join(app, 'documents', 'facilities'), { recursive: true });
    await writeFile(
      path.join(app, 'documents', 'facilities', 'bicycle-storage.md'),
      '# Bicycle storage\n\nBicycles are kept in the locked cage on parking level B2. The cage code changes on the first Monday of every quarter; ask the front desk for it.\n\n## E-bikes\n\nE-bike batteries may not be charged inside the cage. Use the charging lockers beside the lift on level B1.\n',
    );
    await writeFile(path.join(app, 'documents', 'visitors.md'), '# Visitors\n\nVisitors sign in at the front desk and wear a red badge for the whole visit.\n');
    await mkdir(path.dirname(path.join(app, MODEL_LINK)), { recursive: true });
    await symlink(path.join(SHARED_MODELS, ...STATIC_MODEL.model.split('/')), path.join(app, MODEL_LINK));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(running.map((server) => (server.child.kill('SIGKILL'), server.exited)));
    await cleanup();
  });

  it('heroku-postbuild builds documents/ with the model; the Procfile\'s server answers from them with a citation', async () => {
    expect(pkg.scripts['heroku-postbuild']).toBe('npm run build && npm run build:index && npm run prune:slug');
    const built = await run('npm run heroku-postbuild', app, env);
    expect(built.output).toMatch(/retrieval hybrid/);
    expect(built.code).toBe(0);
    const server = await serve();
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { ready: boolean; retrieval: string };
    expect(ready).toMatchObject({ ready: true, retrieval: 'hybrid' });
    const { status, body } = await ask(server.url, 'Where are bicycles kept?');
    expect(status).toBe(200);
    expect(body.retrieval).toBe('hybrid');
    expect(body.citations[0]?.source).toBe('facilities/bicycle-storage.md');
    expect(body.answer).toMatch(/B2/);
    await stop(server);
  }, 120_000);

  it('without the model the same build fails and says how to fix it; opted into keyword-only it succeeds and /readyz says so', async () => {
    await rm(path.join(app, MODEL_LINK));
    const failed = await run('npm run heroku-postbuild', app, env);
    // Nothing changed since the first build: npm run build does not compile again.
    expect(failed.output).toContain('dist/ is up to date, not compiling');
    expect(failed.code).not.toBe(0);
    expect(failed.output).toContain(`The embedding model ${STATIC_MODEL.model} is not in`);
    expect(failed.output).toContain('set ALLOW_LEXICAL_FALLBACK=true');

    const keywordOnly = await run('npm run heroku-postbuild', app, { ...env, ALLOW_LEXICAL_FALLBACK: 'true' });
    expect(keywordOnly.output).toMatch(/KEYWORD SEARCH ONLY/);
    expect(keywordOnly.code).toBe(0);
    const server = await serve({ ALLOW_LEXICAL_FALLBACK: 'true' });
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { ready: boolean; retrieval: string; reason: string };
    expect(ready).toMatchObject({ ready: true, retrieval: 'lexical' });
    expect(ready.reason).toMatch(/keyword search only/);
    const { body } = await ask(server.url, 'Where do I charge an e-bike battery?');
    expect(body.retrieval).toBe('lexical');
    expect(body.citations[0]?.source).toBe('facilities/bicycle-storage.md');
    await stop(server);
  }, 120_000);

  it('render.yaml\'s buildCommand (after its npm ci) builds, prunes to the production install, and the result serves', async () => {
    const steps = renderBuild.split(' && ');
    expect(steps[0]).toBe('npm ci --include=dev');
    await symlink(path.join(SHARED_MODELS, ...STATIC_MODEL.model.split('/')), path.join(app, MODEL_LINK));
    const built = await run(steps.slice(1).join(' && '), app, env);
    expect(built.output).toMatch(/retrieval hybrid/);
    expect(built.code).toBe(0);
    // Pruned to what runs: no compiler, no test runner.
    expect(() => execFileSync('node', ['-e', 'require.resolve("typescript")'], { cwd: app, stdio: 'pipe' })).toThrow();
    const server = await serve();
    const { status, body } = await ask(server.url, 'What colour badge do visitors wear?');
    expect(status).toBe(200);
    expect(body.citations[0]?.source).toBe('visitors.md');
    await stop(server);
  }, 120_000);
});
