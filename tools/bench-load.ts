#!/usr/bin/env node
/**
 * `npm run bench:load -- --index <folder> [--model ORG/NAME] [--model-dir <folder>] [--seconds 60]`:
 * the production server as the Procfile starts it, loaded with autocannon. Scenarios, one after
 * another on the same server: /api/search and extractive /api/ask at 30 then 200 connections,
 * /api/ask through a fake LLM on loopback at 30, then 30 normal clients beside 5 abusive ones
 * (2,000-character questions of invented words, and uploads that stall halfway). Prints requests/s,
 * p50/p99/max latency, responses by status and the server's peak RSS for each.
 */
import autocannon from 'autocannon';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_EMBEDDING_MODEL } from '../workers/model-config.js';
import { RssSampler } from './bench/rss-sampler.js';
import { modelSettings } from './cli-env.js';
import { completion, FakeLlm } from './testing/fake-llm.js';
import { procfileCommand, startServerProcess } from './testing/server-process.js';

const { values } = parseArgs({
  options: { index: { type: 'string' }, model: { type: 'string' }, 'model-dir': { type: 'string' }, seconds: { type: 'string' }, only: { type: 'string' }, env: { type: 'string', multiple: true } },
});
if (!values.index) throw new Error('usage: npm run bench:load -- --index <folder> [--model ORG/NAME] [--model-dir <folder>] [--seconds 60] [--only <scenario name prefix>] [--env KEY=VALUE ...]');
const { model = DEFAULT_EMBEDDING_MODEL, modelDir } = modelSettings(values, process.env);
const seconds = Number(values.seconds ?? 60);
/** `--env KEY=VALUE` (repeatable): server settings to try, e.g. WORKER_MAX_TASKS=100000. */
const extraEnv = Object.fromEntries((values.env ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));

/** Questions people ask of a handbook: varied, so the search cache is not what is measured. */
const QUESTIONS = [
  'How many vacation days do I get each year?', 'Who approves my travel expenses?', 'What should I do if I lose my laptop?',
  'Can I work from another country for a few weeks?', 'How long is paid parental leave?', 'What is the per diem for meals on a trip?',
  'How do I report a security incident?', 'Is there a stipend for my home office?', 'When are performance reviews?',
  'Who do I tell when I am sick?', 'How do I book a flight for work?', 'What are the core working hours?',
];
/** An abusive question: 2,000 characters of invented words (typo matching is bounded per question). */
const NONSENSE = Array.from({ length: 250 }, (_, i) => `qz${(i * 104729).toString(36)}x`).join(' ').slice(0, 2000);

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  errors: number;
  peakRssMb: number;
}

const fakeLlm = await new FakeLlm().start();
fakeLlm.record = false;
fakeLlm.respond = () => ({ body: completion('Full-time employees accrue 20 days of PTO a year [1].'), delayMs: 200 });

const procfile = procfileCommand();
const server = await startServerProcess({
  ...procfile.env,
  INDEX_DIR: path.resolve(values.index),
  MODEL_DIR: modelDir,
  EMBEDDING_MODEL: model,
  // Each scenario measures the real cost of a question, not the cache's.
  SEARCH_CACHE_ENTRIES: '0',
  TRUST_PROXY_HOPS: '1',
  ...extraEnv,
}, procfile.nodeArgs, 180_000);
const sampler = new RssSampler(server.child.pid!, 200).start();
const withLlm = await startServerProcess({
  ...procfile.env,
  INDEX_DIR: path.resolve(values.index),
  MODEL_DIR: modelDir,
  EMBEDDING_MODEL: model,
  SEARCH_CACHE_ENTRIES: '0',
  LLM_BASE_URL: fakeLlm.url,
  LLM_API_KEY: 'bench',
  TRUST_PROXY_HOPS: '1',
  ...extraEnv,
}, procfile.nodeArgs, 180_000);
const llmSampler = new RssSampler(withLlm.child.pid!, 200).start();

// The first question starts each worker and loads the model and index: not part of any scenario.
for (const url of [server.url, withLlm.url]) {
  const res = await fetch(`${url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'warm-up' }) });
  await res.arrayBuffer();
}

let next = 0;
const question = () => QUESTIONS[next++ % QUESTIONS.length]!;
/**
 * Each request comes from one of 200 client addresses in turn (X-Forwarded-For, believed with
 * TRUST_PROXY_HOPS=1 as on Render and Heroku): the fair share per client (CLIENT_MAX_IN_FLIGHT)
 * then applies as it would to 200 people, not to one client holding every connection.
 */
const CLIENTS = 200;
let nextClient = 0;
const from = () => ({ 'x-forwarded-for': `10.0.${Math.floor((nextClient % CLIENTS) / 250)}.${(nextClient++ % CLIENTS) % 250 + 1}` });
const search = (url: string) => ({ method: 'GET' as const, path: `/api/search?q=${encodeURIComponent(question())}&k=5`, url, headers: from() });
const ask = (text = question(), headers: Record<string, string> = from()) => ({ method: 'POST' as const, path: '/api/ask', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ question: text }) });

async function run(name: string, url: string, connections: number, request: () => { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string }, rss: RssSampler): Promise<Figures> {
  const statuses: Record<string, number> = {};
  const before = rss.samples.length;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 30,
    requests: [{ setupRequest: (req) => ({ ...req, ...request() }) }],
  }).then((r) => r);
  for (const [key, count] of Object.entries(result.statusCodeStats ?? {})) statuses[key] = (count as { count: number }).count;
  const peak = Math.max(0, ...rss.samples.slice(before).map((s) => s.mb));
  return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, statuses, errors: result.errors + result.timeouts, peakRssMb: peak };
}

/** Abusive clients beside the measured ones: stalled uploads (headers and half a body, then silence) and nonsense questions. */
function startAbuse(url: string): { stop: () => void; done: Promise<unknown> } {
  const { hostname, port } = new URL(url);
  const sockets = new Set<Socket>();
  let stopped = false;
  const stall = () => {
    if (stopped) return;
    const socket = connect(Number(port), hostname, () => {
      socket.write(`POST /api/ask HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{"question":"${'a'.repeat(1000)}`);
    });
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      setTimeout(stall, 100);
    });
  };
  for (let i = 0; i < 3; i++) stall();
  const nonsense = autocannon({ url, connections: 2, duration: seconds, timeout: 30, requests: [{ setupRequest: (req) => ({ ...req, ...ask(NONSENSE, { 'x-forwarded-for': '10.66.0.1' }) }) }] });
  return {
    stop: () => {
      stopped = true;
      for (const socket of sockets) socket.destroy();
    },
    done: nonsense,
  };
}

const scenarios: [string, () => Promise<Figures>][] = [
  ['search-30', () => run('/api/search, 30 connections', server.url, 30, () => search(server.url), sampler)],
  ['search-200', () => run('/api/search, 200 connections', server.url, 200, () => search(server.url), sampler)],
  ['ask-30', () => run('/api/ask extractive, 30 connections', server.url, 30, () => ask(), sampler)],
  ['ask-200', () => run('/api/ask extractive, 200 connections', server.url, 200, () => ask(), sampler)],
  ['llm-30', () => run('/api/ask via fake LLM (200 ms), 30 connections', withLlm.url, 30, () => ask(), llmSampler)],
  ['abuse', async () => {
    const abuse = startAbuse(server.url);
    const figures = await run('/api/search, 30 normal beside 5 abusive', server.url, 30, () => search(server.url), sampler);
    abuse.stop();
    await abuse.done;
    return figures;
  }],
];

const rows: Figures[] = [];
try {
  for (const [key, scenario] of scenarios) {
    if (values.only && !key.startsWith(values.only)) continue;
    process.stderr.write(`${key}: ${seconds} s…\n`);
    rows.push(await scenario());
  }
} finally {
  sampler.stop();
  llmSampler.stop();
  server.child.kill('SIGTERM');
  withLlm.child.kill('SIGTERM');
  await fakeLlm.stop();
}

const pad = (text: string | number, width: number) => String(text).padStart(width);
console.log(`\nbench:load, ${seconds} s per scenario, model ${model}, index ${values.index}\n`);
console.log(`${'scenario'.padEnd(48)} ${pad('req/s', 7)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('max ms', 7)} ${pad('errors', 6)} ${pad('peak RSS', 9)}  statuses`);
for (const row of rows) {
  console.log(`${row.name.padEnd(48)} ${pad(row.rps.toFixed(1), 7)} ${pad(row.p50, 7)} ${pad(row.p99, 7)} ${pad(row.max, 7)} ${pad(row.errors, 6)} ${pad(`${row.peakRssMb.toFixed(0)} MB`, 9)}  ${JSON.stringify(row.statuses)}`);
}
const byName = (prefix: string) => rows.find((r) => r.name.startsWith(prefix));
const at30 = byName('/api/search, 30 connections');
const at200 = byName('/api/search, 200 connections');
const abused = byName('/api/search, 30 normal');
if (at30 && at200) console.log(`\n/api/search answered at 200 connections: ${(100 * ((at200.statuses['200'] ?? 0) / seconds) / Math.max(1, (at30.statuses['200'] ?? 0) / seconds)).toFixed(0)}% of the rate at 30 (target ≥ 80%)`);
if (at30 && abused) console.log(`normal clients' p99 beside abusive ones: ${(abused.p99 / Math.max(1, at30.p99)).toFixed(2)}× (target ≤ 2×)`);
if (at30) console.log(`/api/search p99 at 30 connections: ${at30.p99} ms (target < 100 ms)`);
console.log(`peak RSS over all scenarios: ${Math.max(...rows.map((r) => r.peakRssMb)).toFixed(0)} MB (target < 300 MB)`);
