/** The server under the memory benchmark: ours or the naive baseline, as its own process, its RSS sampled. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './load-summary.js';
import { RssSampler } from './rss-sampler.js';
import { ONE_ADDRESS_LOAD_ENV, procfileCommand, rssMbOf, startServerProcess, type ServerProcess } from '../testing/server-process.js';

/** This file runs from dist/tools/bench/. */
const here = path.dirname(fileURLToPath(import.meta.url));
const BASELINE_ENTRY = path.join(here, 'baseline-server.js');
const PREBUILD_CLI = path.join(here, '../prebuild-cli.js');

/** Ours runs as the Procfile runs it (its malloc settings and node flags); the naive baseline untuned. */
export const PROCFILE = procfileCommand();

export type Design = 'ours' | 'baseline';

/** What every server of a benchmark shares: the index, the model and the memory limit. */
export interface TargetSettings {
  indexDir: string;
  modelDir: string;
  model: string;
  limitMb: number;
}

export interface Target {
  design: Design;
  server: ServerProcess;
  sampler: RssSampler;
  /** Memory modes `/api/memory` reported while the run was polled. */
  modes: Set<string>;
  stopPolling: () => void;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Questions people ask of a handbook, from our labelled sets: varied lengths, like real traffic. */
export function loadQuestions(root: string): string[] {
  const files = ['eval/18f-questions.json', 'eval/sample-questions.json'].map((f) => path.join(root, f)).filter((f) => existsSync(f));
  const questions = files.flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as { question: string }[]).map((q) => q.question));
  if (!questions.length) throw new Error('no questions found under eval/');
  return questions;
}

/**
 * Where the keyword-only run's index lives, beside the benchmark's: a server refuses an index built
 * by another model than its own (or by a model it cannot load), so keyword search alone is served
 * from an index built without vectors, as `npm start` builds one when the model is missing.
 */
export function lexicalIndexDir(settings: TargetSettings): string {
  return `${settings.indexDir}-lexical`;
}

/** Build the benchmark's index, and its keyword-only twin, with the prebuild CLI, unless they are already current. */
export async function ensureIndex(docsDir: string, settings: TargetSettings): Promise<void> {
  const common = ['--docs', docsDir, '--model-dir', settings.modelDir, '--no-vectra', '--if-stale', '--quiet'];
  for (const args of [[PREBUILD_CLI, ...common, '--out', settings.indexDir, '--model', settings.model], [PREBUILD_CLI, ...common, '--out', lexicalIndexDir(settings), '--lexical-only']]) {
    const code = await new Promise<number | null>((resolve) => spawn(process.execPath, args, { stdio: 'inherit' }).on('exit', resolve));
    if (code !== 0) throw new Error(`building the benchmark index failed (exit ${code})`);
  }
}

/** Start a server as its own process, sample its RSS and poll the memory modes it reports. */
export async function startTarget(settings: TargetSettings, design: Design, env: Record<string, string> = {}): Promise<Target> {
  const server = await startServerProcess({
    ...(design === 'ours' ? PROCFILE.env : {}),
    INDEX_DIR: settings.indexDir, MODEL_DIR: settings.modelDir, EMBEDDING_MODEL: settings.model, MEMORY_LIMIT_MB: String(settings.limitMb),
    // The load repeats a few questions: uncached, every one embeds and scans, the worst case for memory.
    SEARCH_CACHE_ENTRIES: '0', ...ONE_ADDRESS_LOAD_ENV, ...env,
  }, design === 'ours' ? PROCFILE.nodeArgs : [], 180_000, design === 'ours' ? undefined : BASELINE_ENTRY);
  const sampler = new RssSampler(server.child.pid!).start();
  const modes = new Set<string>();
  const poll = setInterval(() => {
    fetch(`${server.url}/api/memory`).then((res) => res.json() as Promise<{ mode: string }>).then((body) => modes.add(body.mode), () => undefined);
  }, 250);
  return { design, server, sampler, modes, stopPolling: () => clearInterval(poll) };
}

/** SIGTERM, and the exit code (0 when the server stopped cleanly). */
export async function stopTarget(target: Target): Promise<number | null> {
  target.stopPolling();
  await target.sampler.sample();
  target.sampler.stop();
  target.server.child.kill('SIGTERM');
  const { code } = await target.server.exited;
  return code;
}

/** One question to `/api/ask`: its latency, status and answer mode. */
export async function ask(url: string, question: string): Promise<{ ms: number; status: number; mode?: string }> {
  const started = performance.now();
  const res = await fetch(`${url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
  const body = (await res.json()) as { mode?: string };
  return { ms: performance.now() - started, status: res.status, ...(body.mode ? { mode: body.mode } : {}) };
}

/** RSS of a bare Node process that does nothing: the runtime's share of every figure. */
export async function bareNodeMb(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(700);
  const mb = await rssMbOf(child.pid!);
  child.kill();
  return round(mb);
}
