/**
 * `node dist/tools/bench-observability.js --index <folder> --before <other build's dist/server/index.js> [--model ORG/NAME]
 * [--model-dir <folder>] [--rounds N] [--requests N]`: what request logs and metrics cost. Runs another build (the one
 * before them), this build, and this build with `METRICS=false`, in alternating rounds against one index, as the
 * Procfile runs the server; prints RSS (from /proc) and sequential `/api/search` latency, medians over the rounds.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { percentile } from '../evaluation/metrics.js';
import { DEFAULT_EMBEDDING_MODEL } from '../workers/model-config.js';
import { modelSettings } from './cli-env.js';
import { procfileCommand, rssMbOf, SERVER_ENTRY, startServerProcess } from './testing/server-process.js';

const { values } = parseArgs({
  options: { index: { type: 'string' }, before: { type: 'string' }, model: { type: 'string' }, 'model-dir': { type: 'string' }, rounds: { type: 'string' }, requests: { type: 'string' } },
});
if (!values.index || !values.before) throw new Error('usage: node dist/tools/bench-observability.js --index <folder> --before <dist/server/index.js> [--model ORG/NAME] [--model-dir <folder>] [--rounds N] [--requests N]');
const { model = DEFAULT_EMBEDDING_MODEL, modelDir } = modelSettings(values, process.env);
const rounds = Number(values.rounds ?? 5);
const requests = Number(values.requests ?? 400);
const WARM_UP = 30;
const SCRAPES = 20;
const QUESTIONS = ['How many vacation days do I get each year?', 'Who approves my travel expenses?', 'What should I do if I lose my laptop?', 'How long is paid parental leave?'];

interface Variant {
  name: string;
  entry: string;
  env: Record<string, string>;
  figures: { idle: number[]; warm: number[]; after: number[]; p50: number[]; p99: number[]; scrapeMs: number[] };
}

const variant = (name: string, entry: string, env: Record<string, string> = {}): Variant => ({ name, entry, env, figures: { idle: [], warm: [], after: [], p50: [], p99: [], scrapeMs: [] } });
const variants = [variant(`before (${values.before})`, path.resolve(values.before)), variant('this build: metrics and request logs on', SERVER_ENTRY), variant('this build: METRICS=false', SERVER_ENTRY, { METRICS: 'false' })];
const procfile = procfileCommand();

/** Sequential requests to `url`, their times in ms. */
async function timed(count: number, url: (i: number) => string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await fetch(url(i));
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url(i)} answered ${res.status}`);
    times.push(performance.now() - started);
  }
  return times;
}

async function runOnce(target: Variant): Promise<void> {
  const env = { ...procfile.env, INDEX_DIR: path.resolve(values.index!), MODEL_DIR: modelDir, EMBEDDING_MODEL: model, ...target.env };
  const server = await startServerProcess(env, procfile.nodeArgs, 60_000, target.entry);
  const pid = server.child.pid!;
  const search = (i: number) => `${server.url}/api/search?q=${encodeURIComponent(QUESTIONS[i % QUESTIONS.length]!)}&k=5`;
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { figures } = target;
    figures.idle.push(await rssMbOf(pid));
    await timed(WARM_UP, search);
    figures.warm.push(await rssMbOf(pid));
    const times = await timed(requests, search);
    figures.after.push(await rssMbOf(pid));
    figures.p50.push(percentile(times, 50));
    figures.p99.push(percentile(times, 99));
    if (target.entry === SERVER_ENTRY && !target.env.METRICS) figures.scrapeMs.push(percentile(await timed(SCRAPES, () => `${server.url}/metrics`), 50));
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

// Alternating rounds, so drift on a shared machine falls on every build alike.
for (let round = 1; round <= rounds; round++) {
  for (const target of variants) await runOnce(target);
  process.stderr.write(`round ${round} of ${rounds} done\n`);
}
const median = (xs: number[]) => percentile(xs, 50).toFixed(1);
console.log(`| build | RSS idle MB | RSS after ${WARM_UP} searches MB | RSS after ${requests} more MB | /api/search p50 ms | p99 ms |`);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const { name, figures } of variants) console.log(`| ${name} | ${median(figures.idle)} | ${median(figures.warm)} | ${median(figures.after)} | ${percentile(figures.p50, 50).toFixed(2)} | ${percentile(figures.p99, 50).toFixed(2)} |`);
console.log(`\nmedians of ${rounds} rounds; model ${model}; GET /metrics p50 ${median(variants[1]!.figures.scrapeMs)} ms`);
