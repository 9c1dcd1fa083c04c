#!/usr/bin/env node
/**
 * `npm run bench:memory`: the memory contract, measured. Runs the production build as its own
 * process over the whole 18F handbook with a model that costs what all-MiniLM-L6-v2 costs, reads
 * its RSS from /proc every 100 ms, and puts it through load, a long run with and without
 * recycling, recycles under a stopwatch, and a lowered limit. The same runs against the naive
 * baseline (model in the main thread, no worker) give each figure as ours / baseline.
 * Prints a summary, writes JSON and an SVG of RSS over time.
 *
 * This file parses argv and prints; the runs live in bench/memory-bench.ts, the report in bench/memory-report.ts.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runMemoryBench } from './bench/memory-bench.js';
import { memoryReport, summaryTable, writeMemoryReport, type ReportSettings } from './bench/memory-report.js';
import { ensureIndex, loadQuestions } from './bench/memory-target.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository: this file runs from dist/tools/. */
const root = path.join(here, '../..');

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
const lowLimitsMb = values['low-limits-mb'].split(',').map(Number);
if (!lowLimitsMb.every((mb) => Number.isInteger(mb) && mb >= 64)) throw new Error(`--low-limits-mb takes whole MB of 64 or more, separated by commas; got ${values['low-limits-mb']}`);
const pauseEvery = Number(values['pause-every']);
const settings: ReportSettings = {
  indexDir: path.resolve(values.index),
  modelDir: path.resolve(values['model-dir']),
  model: values.model,
  limitMb: Number(values['limit-mb']),
  questions: loadQuestions(root),
  clients: Number(values.clients),
  seconds: quick ? 10 : Number(values.seconds),
  driftQuestions: quick ? 2000 : Number(values.questions),
  pauseEvery,
  pauseRequests: quick ? pauseEvery * 6 : Number(values['pause-requests']),
  lowLimitsMb,
  baseline: !values['no-baseline'],
  quick,
};
const log = (line: string) => process.stdout.write(`${line}\n`);

await ensureIndex(path.resolve(values.docs), settings);
const runs = await runMemoryBench(settings, log);
const report = memoryReport(runs, settings);
await writeMemoryReport(report, runs, settings, values.out);
for (const line of summaryTable(report, runs, settings)) log(line);
log(`wrote ${path.join(values.out, 'bench-memory.json')} and ${path.join(values.out, 'memory-curve.svg')}`);
