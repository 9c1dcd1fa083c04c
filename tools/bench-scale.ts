#!/usr/bin/env node
/**
 * `npm run bench:scale`: the corpus curve of the file store. For each size (default 10k, 50k and
 * 250k chunks) it writes synthetic but meaningful pages (sentences from the machine's own
 * documentation, see bench/scale-corpus.ts), builds them with the prebuild CLI and the static model
 * (real meaning), then serves the index as the Procfile does and loads /api/search with 30
 * autocannon clients. Figures: build time and peak RSS, index size on disk, instance RSS idle and
 * under load, p50/p99, and recall@10 of the worker's vector search against exact search.
 * Prints a table, writes docs/bench-scale.json and docs/scale-curve.svg.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { IVF_MIN_ROWS } from '../store/ivf-index.js';
import { DEFAULT_IVF_PROBES } from '../workers/retriever.js';
import { DEFAULT_PROBE_REACH } from '../workers/vector-search.js';
import { scaleChart } from './bench/scale-chart.js';
import { collectTopics, questionsFrom, SECTIONS_PER_PAGE, writeCorpus } from './bench/scale-corpus.js';
import { round } from './bench/load-summary.js';
import { build, onDisk, recall, serve, type BuildFigures, type RecallFigures, type ServeFigures } from './bench/scale-measure.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository: this file runs from dist/tools/. */
const root = path.join(here, '../..');

const DEFAULTS = {
  sizes: '10000,50000,250000',
  model: 'local/static-use-wordpiece-512',
  modelDir: path.join(root, '../shared/models'),
  work: path.join(root, 'data/bench-scale'),
  clients: '30',
  seconds: '20',
  queries: '200',
  rounds: '2',
  out: path.join(root, 'docs'),
};

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: DEFAULTS.sizes },
    model: { type: 'string', default: DEFAULTS.model },
    'model-dir': { type: 'string', default: DEFAULTS.modelDir },
    work: { type: 'string', default: DEFAULTS.work },
    clients: { type: 'string', default: DEFAULTS.clients },
    seconds: { type: 'string', default: DEFAULTS.seconds },
    queries: { type: 'string', default: DEFAULTS.queries },
    /** Reuse a corpus and index already built for a size (same pages, same seed). */
    reuse: { type: 'boolean', default: false },
    /** Another checkout, built (e.g. main's), to serve the same index in the same run, turn about with this one. */
    baseline: { type: 'string' },
    /** Sizes served by both builds (default: the largest). */
    'baseline-sizes': { type: 'string' },
    /** Turns each build serves a compared size. */
    rounds: { type: 'string', default: DEFAULTS.rounds },
    out: { type: 'string', default: DEFAULTS.out },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(`usage: npm run bench:scale -- [options]
  --sizes N,N,...        chunks per corpus (default ${DEFAULTS.sizes})
  --model ID             embedding model (default ${DEFAULTS.model}, real meaning)
  --model-dir DIR        local models (default ${DEFAULTS.modelDir})
  --work DIR             where corpora and indexes are written (default ${DEFAULTS.work})
  --reuse                reuse a corpus and index already built there for a size
  --clients N            concurrent clients on /api/search (default ${DEFAULTS.clients})
  --seconds N            load duration per size (default ${DEFAULTS.seconds})
  --queries N            questions measured for recall@10 against exact search (default ${DEFAULTS.queries})
  --baseline DIR         another built checkout served turn about on the same index
  --baseline-sizes N,..  sizes the baseline serves (default: the largest)
  --rounds N             turns each build serves a compared size (default ${DEFAULTS.rounds})
  --out DIR              where bench-scale.json and scale-curve.svg go (default ${DEFAULTS.out})
`);
  process.exit(0);
}
const sizes = values.sizes.split(',').map(Number);
const baselineSizes = values['baseline-sizes'] ? values['baseline-sizes'].split(',').map(Number) : [Math.max(...sizes)];
const rounds = Number(values.rounds);
const baseline = values.baseline ? path.resolve(values.baseline) : undefined;
if (baseline && !existsSync(path.join(baseline, 'dist/server/index.js'))) throw new Error(`--baseline takes a built checkout (with dist/server/index.js); ${baseline} has none`);
if (!sizes.every((n) => Number.isInteger(n) && n >= 100)) throw new Error(`--sizes takes whole numbers of chunks (100 or more), separated by commas; got ${values.sizes}`);
const modelDir = path.resolve(values['model-dir']);
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const log = (line: string) => process.stdout.write(`${line}\n`);

interface SizeResult {
  target: number;
  pages: number;
  build: BuildFigures;
  /** This build's figures (the last turn when compared). */
  serve: ServeFigures;
  recall: RecallFigures;
  /** The machine's 1-minute load average as the load began: the machine is shared. */
  loadAverage: number;
  /** Turn about with --baseline on the same index, in order. */
  sideBySide?: { build: 'this' | 'baseline'; rps: number; p50: number; p99: number; loadPeakMb: number; loadAverage: number }[];
}

log(`bench:scale on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GB; the machine may be shared: compare sizes within one run`);
const topics = collectTopics([path.join(root, 'node_modules'), '/usr/share/doc']);
log(`${topics.reduce((n, t) => n + t.length, 0)} distinct prose sentences in ${topics.length} topics (source files) from node_modules markdown and /usr/share/doc`);
const questions = questionsFrom(topics, 5000, 17);
const results: SizeResult[] = [];
/** Chunks a page gives, measured on the first size; the next sizes' page counts follow from it. */
let chunksPerPage = SECTIONS_PER_PAGE * 1.1;
for (const target of sizes) {
  const pages = Math.max(1, Math.round(target / chunksPerPage));
  const docsDir = path.join(values.work, `docs-${target}`);
  const indexDir = path.join(values.work, `index-${target}`);
  log(`\n${target} chunks: ${pages} pages`);
  const marker = path.join(values.work, `built-${target}.json`);
  let built: BuildFigures;
  if (values.reuse && existsSync(marker)) {
    // The build's time and peak as measured then; the files as they are now.
    built = { ...(JSON.parse(readFileSync(marker, 'utf8')) as BuildFigures), ...(await onDisk(indexDir)) };
    log(`  reusing the index built earlier (${built.chunks} chunks)`);
  } else {
    await writeCorpus(docsDir, topics, pages, target);
    log('  building');
    built = await build(docsDir, indexDir, values.model, modelDir);
    await mkdir(values.work, { recursive: true });
    await writeFile(marker, JSON.stringify(built));
  }
  chunksPerPage = built.chunks / pages;
  log(`  ${built.chunks} chunks in ${built.seconds} s (build peak ${built.peakRssMb} MB), ${built.indexMb} MB on disk`);
  const loadAverage = round(os.loadavg()[0]!);
  const turns: { build: 'this' | 'baseline'; served: ServeFigures; loadAverage: number }[] = [];
  const compared = baseline && baselineSizes.includes(target);
  for (let turn = 0; turn < (compared ? rounds : 1); turn++) {
    for (const which of compared ? (['baseline', 'this'] as const) : (['this'] as const)) {
      const before = round(os.loadavg()[0]!);
      log(`  serving with ${which === 'this' ? 'this build' : `the baseline (${baseline})`}, load average ${before}`);
      const served = await serve(indexDir, values.model, modelDir, questions, clients, seconds, log, which === 'baseline' ? baseline : undefined);
      log(`    peak ${served.loadPeakMb} MB, ${served.rps} req/s, p50 ${served.p50} ms, p99 ${served.p99} ms, statuses ${JSON.stringify(served.statuses)}`);
      turns.push({ build: which, served, loadAverage: before });
    }
  }
  const served = turns.filter((t) => t.build === 'this').at(-1)!.served;
  const recalled = await recall(indexDir, { model: values.model, modelDir, allowRemote: false, dtype: 'q8' }, questions.slice(0, Number(values.queries)));
  log(`    recall@10 ${recalled.recallAt10} (${recalled.ivf ? `IVF, ${recalled.ivf.lists} lists, up to ${DEFAULT_IVF_PROBES} probed within ${DEFAULT_PROBE_REACH} of the nearest` : 'int8 scan'}), vector search ${recalled.msPerQuery} ms/query, full int8 scan ${recalled.fullScanMsPerQuery} ms/query`);
  for (const s of recalled.ivf?.sweep ?? []) log(`      ${s.probes} lists probed: recall@10 ${s.recallAt10}, ${s.msPerQuery} ms/query`);
  const sideBySide = compared ? turns.map(({ build: which, served: s, loadAverage: l }) => ({ build: which, rps: s.rps, p50: s.p50, p99: s.p99, loadPeakMb: s.loadPeakMb, loadAverage: l })) : undefined;
  results.push({ target, pages, build: built, serve: served, recall: recalled, loadAverage, ...(sideBySide ? { sideBySide } : {}) });
}

const header = ['chunks', 'build s', 'index MB', 'idle MB', 'peak MB (30 cl.)', 'req/s', 'p50 ms', 'p99 ms', 'recall@10', 'search'];
const rows = results.map((r) => [r.build.chunks, r.build.seconds, r.build.indexMb, r.serve.idleMb, r.serve.loadPeakMb, r.serve.rps, r.serve.p50, r.serve.p99, r.recall.recallAt10, r.recall.ivf ? `IVF ≤${DEFAULT_IVF_PROBES}/${r.recall.ivf.lists}` : 'int8 scan'].map(String));
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
log('');
for (const row of [header, ...rows]) log(row.map((cell, i) => cell.padStart(widths[i]!)).join('  '));
for (const r of results.filter((r) => r.sideBySide)) {
  const median = (build: 'this' | 'baseline', key: 'p99' | 'rps') => {
    const values = r.sideBySide!.filter((t) => t.build === build).map((t) => t[key]).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)]!;
  };
  log(`${r.build.chunks} chunks, turn about with the baseline: req/s ${median('this', 'rps')} vs ${median('baseline', 'rps')} (x${round(median('this', 'rps') / median('baseline', 'rps'))}), p99 ${median('this', 'p99')} vs ${median('baseline', 'p99')} ms`);
}
const targetMet = results.filter((r) => r.build.chunks >= 250_000).map((r) => r.serve.loadPeakMb <= 512 && r.serve.p99 < 250 && r.serve.errors === 0);
log(`\ntarget (≥ 250,000 chunks in 512 MB RSS with 30 clients, p99 < 250 ms): ${targetMet.length ? (targetMet.every(Boolean) ? 'met' : 'not met') : 'no size of 250,000 chunks run'}`);

await mkdir(values.out, { recursive: true });
const report = { createdAt: new Date().toISOString(), machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? null, shared: true, loadAverageAtEnd: round(os.loadavg()[0]!) }, model: values.model, clients, seconds, ivf: { minRows: IVF_MIN_ROWS, probes: DEFAULT_IVF_PROBES, reach: DEFAULT_PROBE_REACH }, results };
await writeFile(path.join(values.out, 'bench-scale.json'), `${JSON.stringify(report, null, 2)}\n`);
const loads = results.map((r) => r.loadAverage);
const caption = `npm run bench:scale, ${values.model}, ${clients} clients for ${seconds} s per size; shared machine, 2 cores, load average ${Math.min(...loads)}-${Math.max(...loads)}; ${report.createdAt.slice(0, 10)}`;
await writeFile(path.join(values.out, 'scale-curve.svg'), scaleChart(results.map((r) => ({ chunks: r.build.chunks, idleMb: r.serve.idleMb, loadPeakMb: r.serve.loadPeakMb, p50: r.serve.p50, p99: r.serve.p99 })), caption));
log(`wrote ${path.join(values.out, 'bench-scale.json')} and ${path.join(values.out, 'scale-curve.svg')}`);
