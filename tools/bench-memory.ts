#!/usr/bin/env node
/**
 * `npm run bench:memory`: the memory contract, measured. Runs the production build as its own
 * process over the whole 18F handbook with a model that costs what all-MiniLM-L6-v2 costs, reads
 * its RSS from /proc every 100 ms, and puts it through load, a long run with and without
 * recycling, recycles under a stopwatch, and a lowered limit. The same runs against the naive
 * baseline (model in the main thread, no worker) give each figure as ours / baseline.
 * Prints a summary, writes JSON and an SVG of RSS over time.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { completion, FakeLlm } from './testing/fake-llm.js';
import { percentile } from '../evaluation/metrics.js';
import { runLoad, type LoadResult } from './bench/load-clients.js';
import { rssChart, type ChartPanel } from './bench/rss-chart.js';
import { RssSampler, type RssSample } from './bench/rss-sampler.js';
import { procfileCommand, rssMbOf, startServerProcess, type ServerProcess } from './testing/server-process.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository: this file runs from dist/tools/. */
const root = path.join(here, '../..');
const BASELINE_ENTRY = path.join(here, 'bench/baseline-server.js');

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: path.join(root, '../shared/corpora/18f-handbook/pages') },
    index: { type: 'string', default: path.join(root, 'data/bench-18f-index') },
    model: { type: 'string', default: 'Synthetic/random-minilm-l6' },
    'model-dir': { type: 'string', default: path.join(root, '../shared/models') },
    clients: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '60' },
    questions: { type: 'string', default: '20000' },
    'limit-mb': { type: 'string', default: '512' },
    /** Lowered limits, run in turn: one the model fits under at first, one below even keyword search's working set. */
    'low-limits-mb': { type: 'string', default: '224,110' },
    'pause-every': { type: 'string', default: '50' },
    'pause-requests': { type: 'string', default: '1500' },
    'no-baseline': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(root, 'docs') },
  },
});
const quick = values.quick;
const clients = Number(values.clients);
const seconds = quick ? 10 : Number(values.seconds);
const driftQuestions = quick ? 2000 : Number(values.questions);
const limitMb = Number(values['limit-mb']);
const lowLimitsMb = values['low-limits-mb'].split(',').map(Number);
if (!lowLimitsMb.every((mb) => Number.isInteger(mb) && mb >= 64)) throw new Error(`--low-limits-mb takes whole MB of 64 or more, separated by commas; got ${values['low-limits-mb']}`);
const pauseEvery = Number(values['pause-every']);
const pauseRequests = quick ? pauseEvery * 6 : Number(values['pause-requests']);
const indexDir = path.resolve(values.index);
const modelDir = path.resolve(values['model-dir']);

/** Questions people ask of a handbook, from our labelled sets: varied lengths, like real traffic. */
function loadQuestions(): string[] {
  const files = ['eval/18f-questions.json', 'eval/sample-questions.json'].map((f) => path.join(root, f)).filter((f) => existsSync(f));
  const questions = files.flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as { question: string }[]).map((q) => q.question));
  if (!questions.length) throw new Error('no questions found under eval/');
  return questions;
}
const QUESTIONS = loadQuestions();

async function ensureIndex(): Promise<void> {
  const args = [path.join(here, 'prebuild-cli.js'), '--docs', path.resolve(values.docs), '--out', indexDir, '--model', values.model, '--model-dir', modelDir, '--no-vectra', '--if-stale', '--quiet'];
  const code = await new Promise<number | null>((resolve) => spawn(process.execPath, args, { stdio: 'inherit' }).on('exit', resolve));
  if (code !== 0) throw new Error(`building the benchmark index failed (exit ${code})`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Design = 'ours' | 'baseline';

interface Target {
  design: Design;
  server: ServerProcess;
  sampler: RssSampler;
  /** Memory modes `/api/memory` reported while the run was polled. */
  modes: Set<string>;
  stopPolling: () => void;
}

/** Ours runs as the Procfile runs it (its malloc settings and node flags); the naive baseline untuned. */
const PROCFILE = procfileCommand();

async function start(design: Design, env: Record<string, string> = {}): Promise<Target> {
  const server = await startServerProcess({
    ...(design === 'ours' ? PROCFILE.env : {}),
    INDEX_DIR: indexDir, MODEL_DIR: modelDir, EMBEDDING_MODEL: values.model, MEMORY_LIMIT_MB: String(limitMb), ...env,
  }, design === 'ours' ? PROCFILE.nodeArgs : [], 180_000, design === 'ours' ? undefined : BASELINE_ENTRY);
  const sampler = new RssSampler(server.child.pid!).start();
  const modes = new Set<string>();
  const poll = setInterval(() => {
    fetch(`${server.url}/api/memory`).then((res) => res.json() as Promise<{ mode: string }>).then((body) => modes.add(body.mode), () => undefined);
  }, 250);
  return { design, server, sampler, modes, stopPolling: () => clearInterval(poll) };
}

/** SIGTERM, and the exit code (0 when the server stopped cleanly). */
async function stop(target: Target): Promise<number | null> {
  target.stopPolling();
  await target.sampler.sample();
  target.sampler.stop();
  target.server.child.kill('SIGTERM');
  const { code } = await target.server.exited;
  return code;
}

async function ask(url: string, question: string): Promise<{ ms: number; status: number; mode?: string }> {
  const started = performance.now();
  const res = await fetch(`${url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
  const body = (await res.json()) as { mode?: string };
  return { ms: performance.now() - started, status: res.status, ...(body.mode ? { mode: body.mode } : {}) };
}

interface LoadSummary {
  requests: number;
  failed: number;
  shed: number;
  shedByCode: Record<string, number>;
  statuses: Record<string, number>;
  answerModes: Record<string, number>;
  memoryModes: Record<string, number>;
  retrievals: Record<string, number>;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: string[];
}

function summarize(load: LoadResult): LoadSummary {
  const { requests, failed, shed, shedByCode, statuses, answerModes, memoryModes, retrievals, errors } = load;
  return {
    requests, failed, shed, shedByCode, statuses, answerModes, memoryModes, retrievals, errors,
    requestsPerSecond: round(requests / (load.wallMs / 1000)),
    p50Ms: round(percentile(load.latencies, 50)), p95Ms: round(percentile(load.latencies, 95)),
    p99Ms: round(percentile(load.latencies, 99)), maxMs: round(load.latencies[load.latencies.length - 1] ?? Number.NaN),
  };
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

interface LoadRun {
  design: Design;
  llm: boolean;
  startupMb: number;
  firstAnswerMs: number;
  firstAnswerMb: number;
  peakMb: number;
  endMb: number;
  load: LoadSummary;
  modesEntered: string[];
  /** `/api/memory` at the end, for ours: mode changes, recycles by reason, the model admission. */
  final: { transitions?: number; recyclesByReason?: Record<string, number>; model?: string; modelAdmission?: unknown } | null;
  exitCode: number | null;
  samples: RssSample[];
}

/** Modes seen by polling `/api/memory`, in answers, or in sheds: polling alone misses a mode held for under a second. */
function modesSeen(polled: Set<string>, load: LoadResult): string[] {
  const seen = new Set([...polled, ...Object.keys(load.memoryModes), ...(load.shedByCode.MEMORY_DEGRADED ? ['degraded'] : [])]);
  return ['normal', 'cautious', 'degraded'].filter((mode) => seen.has(mode));
}

/** Start, settle, one first answer, then `clients` concurrent clients for `seconds`. */
async function loadRun(design: Design, llmUrl: string | null, env: Record<string, string> = {}): Promise<LoadRun> {
  const target = await start(design, { ...(llmUrl ? { LLM_BASE_URL: llmUrl, LLM_MODEL: 'fake-model' } : {}), ...env });
  await sleep(1000);
  const startupMb = await target.sampler.sample();
  const first = await ask(target.server.url, QUESTIONS[0]!);
  if (first.status !== 200) throw new Error(`${design}: first answer failed with ${first.status}`);
  await sleep(300);
  const firstAnswerMb = await target.sampler.sample();
  const load = await runLoad({ url: target.server.url, clients, questions: QUESTIONS, durationMs: seconds * 1000 });
  const endMb = await target.sampler.sample();
  type Memory = { governor?: { transitions?: number }; worker?: { recyclesByReason?: Record<string, number>; model?: string }; modelAdmission?: unknown };
  // A server that died under load must not cost the figures already measured: its exit code says so.
  const memory = design === 'ours' ? await fetch(`${target.server.url}/api/memory`).then((res) => res.json() as Promise<Memory>, () => null) : null;
  const final = memory ? { transitions: memory.governor?.transitions, recyclesByReason: memory.worker?.recyclesByReason, model: memory.worker?.model, modelAdmission: memory.modelAdmission } : null;
  const exitCode = await stop(target);
  return {
    design, llm: Boolean(llmUrl), startupMb: round(startupMb), firstAnswerMs: round(first.ms), firstAnswerMb: round(firstAnswerMb),
    peakMb: round(target.sampler.peak()), endMb: round(endMb), load: summarize(load), modesEntered: modesSeen(target.modes, load), final, exitCode, samples: target.sampler.samples,
  };
}

interface LowLimitRun extends LoadRun {
  limitMb: number;
}

const DRIFT_SPANS = 20;

interface DriftRun {
  label: string;
  design: Design;
  recycling: boolean;
  questions: number;
  /**
   * The run cut into 20 equal spans, each reduced to its median RSS; early is the median of spans
   * 3 to 10 (after warm-up), late of spans 11 to 20. Each worker life settles at its own level
   * (most near one figure, a few 15 to 25 MB higher, at random), so one high life in a window
   * must not pass for creep, while a level that keeps rising still moves the median.
   */
  earlyMb: number;
  lateMb: number;
  driftPercent: number;
  /** The first estimator (session 3): median RSS from 10% to 35% of the run against its last quarter. Kept for comparison. */
  windowDriftPercent: number;
  spanMedianMb: number[];
  peakMb: number;
  recycles: number | null;
  load: LoadSummary;
  exitCode: number | null;
  samples: RssSample[];
}

async function driftRun(label: string, design: Design, recycling: boolean): Promise<DriftRun> {
  const target = await start(design, recycling ? {} : { WORKER_MAX_TASKS: '1000000000', WORKER_RECYCLE_RSS_MB: '65536' });
  await ask(target.server.url, QUESTIONS[0]!);
  const from = target.sampler.now;
  const load = await runLoad({ url: target.server.url, clients, questions: QUESTIONS, total: driftQuestions });
  const to = target.sampler.now;
  const memory = (await (await fetch(`${target.server.url}/api/memory`)).json()) as { worker?: { recycles?: number } };
  const exitCode = await stop(target);
  const span = to - from;
  const spans = Array.from({ length: DRIFT_SPANS }, (_, i) => target.sampler.median(from + (span * i) / DRIFT_SPANS, from + (span * (i + 1)) / DRIFT_SPANS));
  const earlyMb = percentile(spans.slice(2, DRIFT_SPANS / 2), 50);
  const lateMb = percentile(spans.slice(DRIFT_SPANS / 2), 50);
  const windowEarly = target.sampler.median(from + span * 0.1, from + span * 0.35);
  const windowLate = target.sampler.median(to - span * 0.25, to);
  return {
    label, design, recycling, questions: driftQuestions, earlyMb: round(earlyMb), lateMb: round(lateMb),
    driftPercent: round(((lateMb - earlyMb) / earlyMb) * 100), windowDriftPercent: round(((windowLate - windowEarly) / windowEarly) * 100),
    spanMedianMb: spans.map((mb) => round(mb)), peakMb: round(target.sampler.peak(from, to)),
    recycles: design === 'ours' ? memory.worker?.recycles ?? null : null, load: summarize(load), exitCode, samples: target.sampler.samples,
  };
}

interface PauseRun {
  recycleEvery: number;
  requests: number;
  recycles: number;
  /** Latency of requests that ran on a fresh worker, minus the median of the others. */
  pauseP50Ms: number;
  pauseP99Ms: number;
  pauseMaxMs: number;
  normalP50Ms: number;
  failed: number;
}

/** Sequential questions with a recycle every `pauseEvery` tasks; `/api/memory` says which ran on a fresh worker. */
async function pauseRun(): Promise<PauseRun> {
  const target = await start('ours', { WORKER_MAX_TASKS: String(pauseEvery), WORKER_MAX_TASKS_JITTER: '0' });
  await ask(target.server.url, QUESTIONS[0]!);
  const fresh: number[] = [];
  const normal: number[] = [];
  let failed = 0;
  for (let i = 1; i <= pauseRequests; i++) {
    const answer = await ask(target.server.url, QUESTIONS[i % QUESTIONS.length]!);
    if (answer.status !== 200) failed++;
    const memory = (await (await fetch(`${target.server.url}/api/memory`)).json()) as { worker: { tasksSinceRecycle: number } };
    (memory.worker.tasksSinceRecycle === 1 ? fresh : normal).push(answer.ms);
  }
  await stop(target);
  const base = percentile(normal, 50);
  const pauses = fresh.map((ms) => ms - base).sort((a, b) => a - b);
  return {
    recycleEvery: pauseEvery, requests: pauseRequests, recycles: fresh.length, pauseP50Ms: round(percentile(pauses, 50)),
    pauseP99Ms: round(percentile(pauses, 99)), pauseMaxMs: round(pauses[pauses.length - 1] ?? Number.NaN), normalP50Ms: round(base), failed,
  };
}

async function bareNodeMb(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(700);
  const mb = await rssMbOf(child.pid!);
  child.kill();
  return round(mb);
}

const mb = (n: number) => `${Math.round(n)} MB`;
const pair = (ours: number, baseline: number | undefined, unit: (n: number) => string = mb) => (baseline === undefined ? unit(ours) : `${unit(ours)} / ${unit(baseline)}`);
const thresholds = (limit: number) => [
  { label: `limit ${limit} MB`, mb: limit, color: '#c00' },
  { label: `degraded ${Math.round(limit * 0.88)} MB`, mb: limit * 0.88, color: '#e67e00' },
  { label: `cautious ${Math.round(limit * 0.78)} MB`, mb: limit * 0.78, color: '#b8a000' },
];

await ensureIndex();
const fakeLlm = await new FakeLlm().start();
fakeLlm.record = false;
// A model that takes a moment to write, and cites the first passage.
fakeLlm.respond = () => ({ delayMs: 150, body: completion('From the handbook: see the first passage [1].') });
const baseline = !values['no-baseline'];
const log = (line: string) => process.stdout.write(`${line}\n`);

try {
  const runtimeMb = await bareNodeMb();
  log(`bare node process: ${runtimeMb} MB`);
  const ours = await loadRun('ours', null);
  log(`ours, extractive: startup ${ours.startupMb} MB, first answer ${ours.firstAnswerMb} MB (${ours.firstAnswerMs} ms), peak ${ours.peakMb} MB, ${ours.load.requests} requests, ${ours.load.failed} failed`);
  const oursLlm = await loadRun('ours', fakeLlm.url);
  log(`ours, fake LLM: peak ${oursLlm.peakMb} MB, ${oursLlm.load.requests} requests, ${oursLlm.load.failed} failed`);
  // Lexical only (no model found): what a keyword-only degraded mode would cost.
  const lexical = await loadRun('ours', null, { EMBEDDING_MODEL: 'none/no-such-model' });
  log(`ours, keyword search only: first answer ${lexical.firstAnswerMb} MB, peak ${lexical.peakMb} MB`);
  const base = baseline ? await loadRun('baseline', null) : undefined;
  if (base) log(`baseline, extractive: startup ${base.startupMb} MB, peak ${base.peakMb} MB, ${base.load.failed} failed`);
  const baseLlm = baseline ? await loadRun('baseline', fakeLlm.url) : undefined;
  if (baseLlm) log(`baseline, fake LLM: peak ${baseLlm.peakMb} MB, ${baseLlm.load.failed} failed`);
  const driftOn = await driftRun('ours, recycling on', 'ours', true);
  log(`drift, recycling on: ${driftOn.earlyMb} → ${driftOn.lateMb} MB (${driftOn.driftPercent}%; first estimator ${driftOn.windowDriftPercent}%), ${driftOn.recycles} recycles, ${driftOn.load.failed} failed`);
  log(`  span medians: ${driftOn.spanMedianMb.join(' ')}`);
  const driftOff = await driftRun('ours, recycling off', 'ours', false);
  log(`drift, recycling off: ${driftOff.earlyMb} → ${driftOff.lateMb} MB (${driftOff.driftPercent}%; first estimator ${driftOff.windowDriftPercent}%), ${driftOff.load.failed} failed`);
  const driftBase = baseline ? await driftRun('baseline', 'baseline', false) : undefined;
  if (driftBase) log(`drift, baseline: ${driftBase.earlyMb} → ${driftBase.lateMb} MB (${driftBase.driftPercent}%; first estimator ${driftBase.windowDriftPercent}%)`);
  const pause = await pauseRun();
  log(`recycle pause: p50 ${pause.pauseP50Ms} ms, p99 ${pause.pauseP99Ms} ms over ${pause.recycles} recycles`);
  const lows: LowLimitRun[] = [];
  for (const lowLimitMb of lowLimitsMb) {
    const run = await loadRun('ours', null, { MEMORY_LIMIT_MB: String(lowLimitMb) });
    lows.push({ limitMb: lowLimitMb, ...run });
    log(`limit ${lowLimitMb} MB: peak ${run.peakMb} MB, modes ${run.modesEntered.join(', ')}, retrieval ${JSON.stringify(run.load.retrievals)}, ${run.load.shed} shed, ${run.load.failed} failed`);
  }

  const failed = [ours, oursLlm, lexical, ...lows, driftOn, driftOff].reduce((n, run) => n + run.load.failed, 0) + pause.failed;
  const baseFailed = [base, baseLlm, driftBase].reduce((n, run) => n + (run?.load.failed ?? 0), 0);
  const breakdown = {
    runtimeMb,
    serverMb: round(ours.startupMb - runtimeMb),
    workerAndIndexMb: round(lexical.firstAnswerMb - ours.startupMb),
    modelMb: round(ours.firstAnswerMb - lexical.firstAnswerMb),
    underLoadMb: round(Math.max(ours.peakMb, oursLlm.peakMb) - ours.firstAnswerMb),
    headroomMb: round(limitMb - Math.max(ours.peakMb, oursLlm.peakMb)),
  };
  const report = {
    measuredAt: new Date().toISOString(),
    machine: { node: process.version, cpus: (await import('node:os')).cpus().length, platform: process.platform },
    settings: { procfile: PROCFILE, index: indexDir, model: values.model, clients, seconds, driftQuestions, limitMb, lowLimitsMb, quick },
    targets: { startupMb: 60, firstAnswerMb: 180, peakMb: 256, driftPercent: 5, failed: 0, pauseP99Ms: 1000 },
    breakdown,
    failed: { ours: failed, baseline: baseline ? baseFailed : null },
    runs: { ours, oursLlm, lexical, baseline: base ?? null, baselineLlm: baseLlm ?? null, driftOn, driftOff, driftBaseline: driftBase ?? null, pause, lowLimits: lows },
  };
  await mkdir(values.out, { recursive: true });
  await writeFile(path.join(values.out, 'bench-memory.json'), `${JSON.stringify(report, (key, value: unknown) => (key === 'samples' ? undefined : value), 2)}\n`);
  const panels: ChartPanel[] = [
    { title: `${clients} clients for ${seconds} s (MB)`, lines: thresholds(limitMb), series: [
      { label: 'ours, extractive', color: '#1f77b4', samples: ours.samples },
      { label: 'ours, via an LLM', color: '#17becf', samples: oursLlm.samples },
      ...(base ? [{ label: 'baseline, extractive', color: '#7f7f7f', samples: base.samples }] : []),
      ...(baseLlm ? [{ label: 'baseline, via an LLM', color: '#bcbd22', samples: baseLlm.samples }] : []),
    ] },
    { title: `${driftQuestions.toLocaleString('en')} questions`, lines: thresholds(limitMb), series: [
      { label: 'ours, recycling on', color: '#1f77b4', samples: driftOn.samples },
      { label: 'ours, recycling off', color: '#d62728', samples: driftOff.samples },
      ...(driftBase ? [{ label: 'baseline', color: '#7f7f7f', samples: driftBase.samples }] : []),
    ] },
    ...lows.map((low) => ({ title: `MEMORY_LIMIT_MB=${low.limitMb}, ${clients} clients for ${seconds} s`, lines: thresholds(low.limitMb), series: [
      { label: 'ours', color: '#1f77b4', samples: low.samples },
    ] })),
  ];
  await writeFile(path.join(values.out, 'memory-curve.svg'), rssChart(panels, `npm run bench:memory · ${values.model} · ${report.runs.ours.load.requests} requests in the first panel · measured ${report.measuredAt.slice(0, 10)} on ${report.machine.cpus} cores, Node ${process.version}`));

  const b = (f: (run: LoadRun) => number) => (base ? f(base) : undefined);
  const bl = (f: (run: LoadRun) => number) => (baseLlm ? f(baseLlm) : undefined);
  log('\n| figure | ours / baseline | target |\n| --- | --- | --- |');
  log(`| startup RSS (listening) | ${pair(ours.startupMb, b((r) => r.startupMb))} | ≤ 60 MB |`);
  log(`| RSS after the first answer | ${pair(ours.firstAnswerMb, b((r) => r.firstAnswerMb))} | ≤ 180 MB |`);
  log(`| first answer latency | ${pair(ours.firstAnswerMs, b((r) => r.firstAnswerMs), (n) => `${Math.round(n)} ms`)} | |`);
  log(`| peak, ${clients} clients × ${seconds} s, extractive | ${pair(ours.peakMb, b((r) => r.peakMb))} | ≤ 256 MB |`);
  log(`| peak, ${clients} clients × ${seconds} s, fake LLM | ${pair(oursLlm.peakMb, bl((r) => r.peakMb))} | ≤ 256 MB |`);
  log(`| ask p50 / p99 under load, extractive | ${ours.load.p50Ms} / ${ours.load.p99Ms} ms${base ? ` vs ${base.load.p50Ms} / ${base.load.p99Ms} ms` : ''} | |`);
  log(`| drift over ${driftQuestions} questions | ${driftOn.driftPercent}% on, ${driftOff.driftPercent}% off${driftBase ? ` / ${driftBase.driftPercent}%` : ''} (first estimator: ${driftOn.windowDriftPercent}% on) | ≤ 5% |`);
  log(`| recycle pause p99 | ${pause.pauseP99Ms} ms (p50 ${pause.pauseP50Ms} ms, ${pause.recycles} recycles) | < 1000 ms |`);
  log(`| failed requests | ${failed}${baseline ? ` / ${baseFailed}` : ''} | 0 |`);
  for (const low of lows) {
    log(`| limit ${low.limitMb} MB: peak, modes, retrieval, shed | ${low.peakMb} MB, ${low.modesEntered.join(' → ')}, ${JSON.stringify(low.load.retrievals)}, ${low.load.shed} shed of ${low.load.requests} | peak < ${low.limitMb} MB |`);
  }
  log(`\nbreakdown: ${JSON.stringify(breakdown)}`);
  log(`wrote ${path.join(values.out, 'bench-memory.json')} and ${path.join(values.out, 'memory-curve.svg')}`);
} finally {
  await fakeLlm.stop();
}
