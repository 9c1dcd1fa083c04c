#!/usr/bin/env node
/**
 * `npm run bench:speed -- [--index <folder>] [--seconds 30] [--clients 1,8,30,100]`: speed under
 * load. The production build as the Procfile starts it, twice side by side: as configured
 * (micro-batching, both caches) and a naive build of the same code (one task at a time, no caches,
 * by environment). For /api/search and extractive /api/ask at each concurrency, autocannon
 * against each in turn: requests/s, p50/p99, CPU ms per request (the server process's CPU from
 * /proc), peak RSS, and the ratios. Then the floor: one model call of 1, 8 and 32 questions
 * straight through the embedder, no service. Prints a table, writes bench-speed.json and
 * speed-curve.svg (latency against concurrency).
 */
import autocannon from 'autocannon';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { latencyChart, type LatencySeries } from './bench/latency-chart.js';
import { loadQuestions } from './bench/memory-target.js';
import { cpuMsOf, threadCpuMsOf } from './bench/proc-cpu.js';
import { RssSampler } from './bench/rss-sampler.js';
import { measureFloorApart, type FloorFigure } from './bench/speed-floor.js';
import { ONE_ADDRESS_LOAD_ENV, procfileCommand, startServerProcess, type ServerProcess } from './testing/server-process.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository: this file runs from dist/tools/. */
const root = path.join(here, '../..');

const { values } = parseArgs({
  options: {
    index: { type: 'string', default: path.join(root, 'data/bench-18f-index') },
    model: { type: 'string', default: 'Synthetic/random-minilm-l6' },
    'model-dir': { type: 'string', default: path.join(root, '../shared/models') },
    seconds: { type: 'string', default: '30' },
    clients: { type: 'string', default: '1,8,30,100' },
    /** Each scenario's seconds are split into this many slices per build, taking turns, so a busy moment of a shared machine falls on both. */
    rounds: { type: 'string', default: '3' },
    endpoints: { type: 'string', default: 'search,ask' },
    out: { type: 'string', default: path.join(root, 'docs') },
    env: { type: 'string', multiple: true },
  },
});
const seconds = Number(values.seconds);
const rounds = Math.max(1, Number(values.rounds));
const clientCounts = values.clients.split(',').map(Number);
const endpoints = values.endpoints.split(',') as Endpoint[];
const embedding = { model: values.model, modelDir: path.resolve(values['model-dir']), allowRemote: false, dtype: 'q8' as const };
/** `--env KEY=VALUE` (repeatable): settings for the batched build, e.g. WORKER_BATCH_WAIT_MS=2. */
const extraEnv = Object.fromEntries((values.env ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));

type Endpoint = 'search' | 'ask';
type Build = 'naive' | 'batched';

/** The naive build: the same service one question at a time, remembering nothing. */
const NAIVE_ENV = { WORKER_BATCH_MAX: '1', SEARCH_CACHE_ENTRIES: '0', QUESTION_CACHE_KB: '0' };

interface Row {
  endpoint: Endpoint;
  clients: number;
  build: Build;
  requests: number;
  ok: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerRequest: number;
  /** The main thread's share of it (HTTP, Koa, JSON, the pool client). */
  mainCpuMsPerRequest: number;
  /** The worker thread's share (model, scan, BM25), which bounds the rate: it is one thread. */
  workerCpuMsPerRequest: number;
  peakRssMb: number;
  statuses: Record<string, number>;
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const baseQuestions = loadQuestions(root);

/**
 * Every request asks a question the server has not seen in this run, so the batched build's caches
 * never answer (a repeat round of the list gets its round number appended).
 */
function questionSource(): () => string {
  let next = 0;
  return () => {
    const n = next++;
    const round = Math.floor(n / baseQuestions.length);
    return `${baseQuestions[n % baseQuestions.length]!}${round ? ` ${round}` : ''}`;
  };
}

interface Target {
  build: Build;
  server: ServerProcess;
  rss: RssSampler;
  question: () => string;
}

async function startTarget(build: Build): Promise<Target> {
  const procfile = procfileCommand();
  const env = { ...procfile.env, INDEX_DIR: path.resolve(values.index), MODEL_DIR: embedding.modelDir, EMBEDDING_MODEL: embedding.model, ...ONE_ADDRESS_LOAD_ENV, ...(build === 'naive' ? NAIVE_ENV : extraEnv) };
  const server = await startServerProcess(env, procfile.nodeArgs, 180_000);
  // The first question starts the worker and loads the model and index: not part of any scenario.
  const res = await fetch(`${server.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'warm-up' }) });
  await res.arrayBuffer();
  return { build, server, rss: new RssSampler(server.child.pid!, 100).start(), question: questionSource() };
}

function requestFor(endpoint: Endpoint, question: string): { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string } {
  if (endpoint === 'search') return { method: 'GET', path: `/api/search?q=${encodeURIComponent(question)}&k=5` };
  return { method: 'POST', path: '/api/ask', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) };
}

/** What the slices of one build in one scenario add up to. */
class Tally {
  readonly latencies: number[] = [];
  readonly statuses: Record<string, number> = {};
  cpuMs = 0;
  mainCpuMs = 0;
  workerCpuMs = 0;
  wallMs = 0;
  peakRssMb = 0;

  row(endpoint: Endpoint, clients: number, build: Build): Row {
    const ok = this.statuses['200'] ?? 0;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
    return {
      endpoint, clients, build, requests: sorted.length, ok, rps: round(ok / (this.wallMs / 1000)), p50Ms: round(at(50)), p99Ms: round(at(99)),
      cpuMsPerRequest: round(this.cpuMs / Math.max(1, ok), 2), mainCpuMsPerRequest: round(this.mainCpuMs / Math.max(1, ok), 2),
      workerCpuMsPerRequest: round(this.workerCpuMs / Math.max(1, ok), 2), peakRssMb: round(this.peakRssMb), statuses: this.statuses,
    };
  }
}

/** One slice of a scenario against one build: autocannon for `sliceSeconds`, every response's latency kept. */
async function slice(target: Target, endpoint: Endpoint, clients: number, sliceSeconds: number, tally: Tally): Promise<void> {
  const pid = target.server.child.pid!;
  const from = target.rss.now;
  const cpuBefore = await cpuMsOf(pid);
  const threadsBefore = await threadCpuMsOf(pid);
  const started = performance.now();
  await autocannon({
    url: target.server.url,
    connections: clients,
    duration: sliceSeconds,
    timeout: 30,
    requests: [{ setupRequest: (req) => ({ ...req, ...requestFor(endpoint, target.question()) }) }],
    setupClient: (client) => {
      client.on('response', (status: number, _bytes: number, ms: number) => {
        tally.latencies.push(ms);
        tally.statuses[String(status)] = (tally.statuses[String(status)] ?? 0) + 1;
      });
    },
  });
  tally.wallMs += performance.now() - started;
  tally.cpuMs += (await cpuMsOf(pid)) - cpuBefore;
  const threads = [...(await threadCpuMsOf(pid))].map(([tid, ms]) => [tid, ms - (threadsBefore.get(tid) ?? 0)] as const);
  tally.mainCpuMs += threads.find(([tid]) => tid === pid)?.[1] ?? 0;
  // The worker is the busiest thread after the main one (V8's helper threads and onnxruntime's take far less).
  tally.workerCpuMs += Math.max(0, ...threads.filter(([tid]) => tid !== pid).map(([, ms]) => ms));
  tally.peakRssMb = Math.max(tally.peakRssMb, target.rss.peak(from, target.rss.now));
}

/** A scenario on every build, in `rounds` turns that alternate which build goes first. */
async function scenario(endpoint: Endpoint, clients: number): Promise<Row[]> {
  const tallies = new Map(targets.map((t) => [t, new Tally()]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...targets].reverse() : targets;
    for (const target of order) await slice(target, endpoint, clients, seconds / rounds, tallies.get(target)!);
  }
  return targets.map((t) => tallies.get(t)!.row(endpoint, clients, t.build));
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const ratio = (ours: number, naive: number) => (naive > 0 ? round(ours / naive, 2) : Number.NaN);

const targets: Target[] = [];
const rows: Row[] = [];
try {
  for (const build of ['naive', 'batched'] as const) targets.push(await startTarget(build));
  for (const endpoint of endpoints) {
    for (const clients of clientCounts) {
      process.stderr.write(`${endpoint}, ${clients} clients: ${seconds} s on each build, in ${rounds} turns…\n`);
      rows.push(...(await scenario(endpoint, clients)));
    }
  }
} finally {
  for (const target of targets) {
    target.rss.stop();
    target.server.child.kill('SIGTERM');
  }
}
await Promise.all(targets.map((t) => t.server.exited));

process.stderr.write('floor: one model call of 1, 8 and 32 questions, no service, in a fresh process…\n');
const floor: FloorFigure[] = await measureFloorApart(embedding, baseQuestions, [1, 8, 32]);
const bestFloor = Math.min(...floor.map((f) => f.cpuMsPerQuestion));

const find = (endpoint: Endpoint, clients: number, build: Build) => rows.find((r) => r.endpoint === endpoint && r.clients === clients && r.build === build);
const comparisons = endpoints.flatMap((endpoint) =>
  clientCounts.map((clients) => {
    const naive = find(endpoint, clients, 'naive')!;
    const batched = find(endpoint, clients, 'batched')!;
    return { endpoint, clients, rps: ratio(batched.rps, naive.rps), p50: ratio(batched.p50Ms, naive.p50Ms), p99: ratio(batched.p99Ms, naive.p99Ms), cpuPerRequest: ratio(batched.cpuMsPerRequest, naive.cpuMsPerRequest), cpuOverFloor: round(batched.cpuMsPerRequest / bestFloor, 2) };
  }),
);

const pad = (text: string | number, width: number) => String(text).padStart(width);
log(`\nbench:speed, ${seconds} s per scenario, model ${values.model}, index ${values.index}, ${baseQuestions.length} distinct questions (then numbered repeats: no cache hits)\n`);
log(`${'endpoint'.padEnd(8)} ${pad('clients', 7)} ${'build'.padEnd(8)} ${pad('req/s', 7)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('CPU ms/req', 10)} ${pad('main+worker', 12)} ${pad('peak RSS', 9)}  statuses`);
for (const r of rows) log(`${r.endpoint.padEnd(8)} ${pad(r.clients, 7)} ${r.build.padEnd(8)} ${pad(r.rps, 7)} ${pad(r.p50Ms, 7)} ${pad(r.p99Ms, 7)} ${pad(r.cpuMsPerRequest, 10)} ${pad(`${r.mainCpuMsPerRequest}+${r.workerCpuMsPerRequest}`, 12)} ${pad(`${r.peakRssMb} MB`, 9)}  ${JSON.stringify(r.statuses)}`);
log(`\nbatched / naive:`);
log(`${'endpoint'.padEnd(8)} ${pad('clients', 7)} ${pad('req/s', 7)} ${pad('p50', 7)} ${pad('p99', 7)} ${pad('CPU/req', 8)} ${pad('CPU/floor', 10)}`);
for (const c of comparisons) log(`${c.endpoint.padEnd(8)} ${pad(c.clients, 7)} ${pad(`${c.rps}x`, 7)} ${pad(`${c.p50}x`, 7)} ${pad(`${c.p99}x`, 7)} ${pad(`${c.cpuPerRequest}x`, 8)} ${pad(`${c.cpuOverFloor}x`, 10)}`);
log(`\nfloor (one model call, tokenizer + ONNX + pooling, one thread, no service):`);
for (const f of floor) log(`  ${pad(f.questions, 2)} questions: ${round(f.callMs, 2)} ms a call, ${round(f.cpuMsPerQuestion, 2)} CPU ms a question`);
// The worker is one thread: a build's rate is at most 1000 / its worker's CPU ms a request, and batching cannot take the worker below the floor.
for (const c of comparisons.filter((c) => c.clients === Math.max(...clientCounts))) {
  const naiveWorker = find(c.endpoint, c.clients, 'naive')!.workerCpuMsPerRequest;
  log(`${c.endpoint} at ${c.clients} clients: naive worker ${naiveWorker} CPU ms a request; the most batching could give at a rate the worker sets: ${round(naiveWorker / bestFloor, 2)}x the naive build (a worker doing nothing but the floor's model call)`);
}
const peakRss = Math.max(...rows.filter((r) => r.build === 'batched').map((r) => r.peakRssMb));
log(`peak RSS of the batched build over all scenarios: ${peakRss} MB (target < 256 MB)`);

const report = { seconds, model: values.model, index: path.basename(values.index), clients: clientCounts, questions: baseQuestions.length, rows, comparisons, floor, peakRssMb: peakRss, env: extraEnv };
await mkdir(values.out, { recursive: true });
await writeFile(path.join(values.out, 'bench-speed.json'), `${JSON.stringify(report, null, 2)}\n`);
const series = (endpoint: Endpoint): LatencySeries[] => [
  { label: 'batched p50', color: '#1f77b4', points: clientCounts.map((c) => [c, find(endpoint, c, 'batched')!.p50Ms]) },
  { label: 'batched p99', color: '#1f77b4', dashed: true, points: clientCounts.map((c) => [c, find(endpoint, c, 'batched')!.p99Ms]) },
  { label: 'naive p50', color: '#d62728', points: clientCounts.map((c) => [c, find(endpoint, c, 'naive')!.p50Ms]) },
  { label: 'naive p99', color: '#d62728', dashed: true, points: clientCounts.map((c) => [c, find(endpoint, c, 'naive')!.p99Ms]) },
];
const titles: Record<Endpoint, string> = { search: 'GET /api/search', ask: 'POST /api/ask (extractive)' };
const svg = latencyChart(
  endpoints.map((e) => ({ title: titles[e], series: series(e) })),
  clientCounts,
  `bench:speed, ${seconds} s per point, ${values.model} over the 18F handbook, 2 shared cores; naive = WORKER_BATCH_MAX=1, no caches`,
);
await writeFile(path.join(values.out, 'speed-curve.svg'), svg);
log(`wrote ${path.join(values.out, 'bench-speed.json')} and ${path.join(values.out, 'speed-curve.svg')}`);
