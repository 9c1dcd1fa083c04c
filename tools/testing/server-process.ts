import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  logs: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const MAX_LOG_LINES = 5000;
const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, from tools/testing/ in the sources or dist/tools/testing/ compiled. */
const repoRoot = path.basename(path.dirname(path.dirname(here))) === 'dist' ? path.join(here, '../../..') : path.join(here, '../..');
/** The compiled server entry, as `npm start` and the Procfile run it (this file runs from dist/tools/ or, under Jest, from tools/). */
export const SERVER_ENTRY = path.join(repoRoot, 'dist/server/index.js');

/**
 * Start a server entry (by default `dist/server/index.js`) as its own process and wait until it
 * logs that it listens. The environment is only `PATH` plus `env`: nothing leaks in from ours.
 */
export async function startServerProcess(env: Record<string, string>, nodeArgs: string[] = [], timeoutMs = 60_000, entry = SERVER_ENTRY, cwd?: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    ...(cwd ? { cwd } : {}),
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not listen within ${timeoutMs} ms:\n${logs.join('\n')}`)), timeoutMs);
    const onData = (data: Buffer) => {
      for (const line of data.toString('utf8').split('\n').filter(Boolean)) {
        logs.push(line);
        // A long benchmark logs a line per request; only the recent ones matter for a report.
        if (logs.length > MAX_LOG_LINES) logs.splice(0, logs.length - MAX_LOG_LINES);
        if (line.includes('"message":"listening"')) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`server exited with code ${code} before listening:\n${logs.join('\n')}`));
    });
  });
  return { child, url, logs, exited };
}

/**
 * Run the build step (`dist/tools/build-index-cli.js`, what `npm run build:index` runs) in `cwd`
 * with only `PATH` plus `env`; resolves with its exit code and its output, stdout and stderr together.
 */
export function runBuildIndex(args: string[], env: Record<string, string>, cwd: string, timeoutMs = 120_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/tools/build-index-cli.js'), ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString('utf8')));
  child.stderr.on('data', (data: Buffer) => (output += data.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve({ code, output }))));
}

/**
 * For a benchmark whose load clients all come from one address (autocannon on loopback): the
 * per-client fair share (CLIENT_MAX_IN_FLIGHT, 16 by default) would answer most of 30 such
 * clients with 429 and measure the refusals, so it is lifted.
 */
export const ONE_ADDRESS_LOAD_ENV: Readonly<Record<string, string>> = Object.freeze({ CLIENT_MAX_IN_FLIGHT: '100000' });

/**
 * What the Procfile's `web:` line sets before and after `node`: the environment (the malloc
 * settings) and node's own flags, so a benchmark runs the server exactly as the platform does.
 */
export function procfileCommand(procfile = path.join(repoRoot, 'Procfile')): { env: Record<string, string>; nodeArgs: string[] } {
  const web = readFileSync(procfile, 'utf8').split('\n').find((line) => line.startsWith('web:')) ?? '';
  const tokens = web.slice(4).trim().split(/\s+/);
  const env: Record<string, string> = {};
  let at = 0;
  for (let match; (match = /^([A-Z_][A-Z0-9_]*)=(\S*)$/.exec(tokens[at] ?? '')); at++) env[match[1]!] = match[2]!;
  // bin/supervise runs the rest of the line (and restarts it after a crash).
  if (tokens[at] === 'bin/supervise') at++;
  const nodeArgs = tokens[at] === 'node' ? tokens.slice(at + 1).filter((t) => t.startsWith('--')) : [];
  return { env, nodeArgs };
}

/** Resident set size of a process, from outside, as the kernel reports it. */
export async function rssMbOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

/** Shared libraries mapped into a process (e.g. onnxruntime's). */
export async function mappedLibraries(pid: number): Promise<string[]> {
  const maps = await readFile(`/proc/${pid}/maps`, 'utf8');
  return [...new Set(maps.split('\n').map((line) => line.split(/\s+/)[5] ?? '').filter((file) => file.includes('.so')))];
}
