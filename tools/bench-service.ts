/**
 * `npm run bench:service -- --index <folder> [--model ORG/NAME] [--model-dir <folder>] [--requests N]`:
 * starts the compiled server as its own process (as the Procfile does), reads its RSS from /proc (as the OS sees it), and
 * times sequential `/api/search` and `/api/ask` requests (extractive: no LLM configured).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { percentile } from '../evaluation/metrics.js';
import { DEFAULT_EMBEDDING_MODEL } from '../workers/model-config.js';
import { modelSettings } from './cli-env.js';
import { procfileCommand, rssMbOf, startServerProcess } from './testing/server-process.js';

const { values } = parseArgs({
  options: { index: { type: 'string' }, model: { type: 'string' }, 'model-dir': { type: 'string' }, requests: { type: 'string' }, port: { type: 'string' } },
});
if (!values.index) throw new Error('usage: npm run bench:service -- --index <folder> [--model ORG/NAME] [--model-dir <folder>] [--requests N]');
const { model = DEFAULT_EMBEDDING_MODEL, modelDir } = modelSettings(values, process.env);
const requests = Number(values.requests ?? 200);
const QUESTIONS = [
  'How many vacation days do I get each year?',
  'Who approves my travel expenses?',
  'What should I do if I lose my laptop?',
  'Can I work from another country for a few weeks?',
  'How long is paid parental leave?',
  'What is the per diem for meals on a trip?',
  'How do I report a security incident?',
  'Is there a stipend for my home office?',
];

// As the Procfile runs it: its malloc settings and node flags.
const procfile = procfileCommand();
const server = await startServerProcess({
  ...procfile.env,
  INDEX_DIR: path.resolve(values.index),
  MODEL_DIR: modelDir,
  EMBEDDING_MODEL: model,
  // Eight questions in turn: uncached, so each request pays for its embedding and scan.
  SEARCH_CACHE_ENTRIES: '0',
  ...(values.port ? { PORT: values.port } : {}),
}, procfile.nodeArgs);
const { child, url } = server;
try {
  const pid = child.pid!;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idle = await rssMbOf(pid);
  const ask = async (question: string) => {
    const res = await fetch(`${url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
    const body = (await res.json()) as { mode: string; retrieval: string };
    if (res.status !== 200) throw new Error(`ask failed with ${res.status}: ${JSON.stringify(body)}`);
    return body;
  };
  let started = performance.now();
  const first = await ask(QUESTIONS[0]!);
  const firstMs = performance.now() - started;
  const afterFirst = await rssMbOf(pid);
  const time = async (run: (i: number) => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < requests; i++) {
      started = performance.now();
      await run(i);
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b);
  };
  const searchTimes = await time(async (i) => {
    const res = await fetch(`${url}/api/search?q=${encodeURIComponent(QUESTIONS[i % QUESTIONS.length]!)}&k=5`);
    if (res.status !== 200) throw new Error(`search failed with ${res.status}`);
    await res.arrayBuffer();
  });
  const modes = new Map<string, number>();
  const askTimes = await time(async (i) => {
    const body = await ask(QUESTIONS[i % QUESTIONS.length]!);
    modes.set(body.mode, (modes.get(body.mode) ?? 0) + 1);
  });
  const after = await rssMbOf(pid);
  const fmt = (sorted: number[]) => `p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms`;
  console.log(`server RSS idle (listening, nothing asked): ${idle.toFixed(0)} MB`);
  console.log(`first /api/ask (starts the worker, loads model and index): ${firstMs.toFixed(0)} ms, ${first.mode}, ${first.retrieval}; RSS after it ${afterFirst.toFixed(0)} MB`);
  console.log(`${requests} × GET /api/search (k=5): ${fmt(searchTimes)}`);
  console.log(`${requests} × POST /api/ask (${[...modes].map(([mode, n]) => `${n} ${mode}`).join(', ')}): ${fmt(askTimes)}`);
  console.log(`server RSS after ${requests * 2 + 1} requests: ${after.toFixed(0)} MB`);
} finally {
  child.kill('SIGTERM');
}
