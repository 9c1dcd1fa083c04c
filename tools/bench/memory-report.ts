/** The memory benchmark's report: the JSON figures, the SVG of RSS over time, and the Markdown summary table. */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import { round } from './load-summary.js';
import type { MemoryBenchSettings, MemoryRuns } from './memory-bench.js';
import type { LoadRun } from './memory-runs.js';
import { PROCFILE } from './memory-target.js';
import { rssChart, type ChartPanel } from './rss-chart.js';

/** The settings the report records next to its figures. */
export interface ReportSettings extends MemoryBenchSettings {
  quick: boolean;
}

/** Failed requests of ours and of the baseline (null when it was not run). */
function failures(runs: MemoryRuns, baseline: boolean): { ours: number; baseline: number | null } {
  const { ours, oursLlm, lexical, lows, driftOn, driftOff, pause, base, baseLlm, driftBase } = runs;
  const failed = [ours, oursLlm, lexical, ...lows, driftOn, driftOff].reduce((n, run) => n + run.load.failed, 0) + pause.failed;
  const baseFailed = [base, baseLlm, driftBase].reduce((n, run) => n + (run?.load.failed ?? 0), 0);
  return { ours: failed, baseline: baseline ? baseFailed : null };
}

/** Where the memory goes: the runtime, the server, the worker and index, the model, load, and what is left. */
function breakdown(runs: MemoryRuns, limitMb: number) {
  const { runtimeMb, ours, oursLlm, lexical } = runs;
  return {
    runtimeMb,
    serverMb: round(ours.startupMb - runtimeMb),
    workerAndIndexMb: round(lexical.firstAnswerMb - ours.startupMb),
    modelMb: round(ours.firstAnswerMb - lexical.firstAnswerMb),
    underLoadMb: round(Math.max(ours.peakMb, oursLlm.peakMb) - ours.firstAnswerMb),
    headroomMb: round(limitMb - Math.max(ours.peakMb, oursLlm.peakMb)),
  };
}

export type MemoryReport = ReturnType<typeof memoryReport>;

/** Everything measured, with the machine, the settings and the targets, as `bench-memory.json` holds it. */
export function memoryReport(runs: MemoryRuns, settings: ReportSettings) {
  const { indexDir, model, clients, seconds, driftQuestions, limitMb, lowLimitsMb, quick } = settings;
  const { ours, oursLlm, lexical, base, baseLlm, driftOn, driftOff, driftBase, pause, lows } = runs;
  return {
    measuredAt: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, platform: process.platform },
    settings: { procfile: PROCFILE, index: indexDir, model, clients, seconds, driftQuestions, limitMb, lowLimitsMb, quick },
    targets: { startupMb: 60, firstAnswerMb: 180, peakMb: 256, driftPercent: 5, failed: 0, pauseP99Ms: 1000 },
    breakdown: breakdown(runs, limitMb),
    failed: failures(runs, settings.baseline),
    runs: { ours, oursLlm, lexical, baseline: base ?? null, baselineLlm: baseLlm ?? null, driftOn, driftOff, driftBaseline: driftBase ?? null, pause, lowLimits: lows },
  };
}

const thresholds = (limit: number) => [
  { label: `limit ${limit} MB`, mb: limit, color: '#c00' },
  { label: `degraded ${Math.round(limit * 0.88)} MB`, mb: limit * 0.88, color: '#e67e00' },
  { label: `cautious ${Math.round(limit * 0.78)} MB`, mb: limit * 0.78, color: '#b8a000' },
];

function chartPanels(runs: MemoryRuns, settings: ReportSettings): ChartPanel[] {
  const { ours, oursLlm, base, baseLlm, driftOn, driftOff, driftBase, lows } = runs;
  const { clients, seconds, driftQuestions, limitMb } = settings;
  return [
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
}

/** Write `bench-memory.json` (without the raw samples) and `memory-curve.svg` into `outDir`. */
export async function writeMemoryReport(report: MemoryReport, runs: MemoryRuns, settings: ReportSettings, outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'bench-memory.json'), `${JSON.stringify(report, (key, value: unknown) => (key === 'samples' ? undefined : value), 2)}\n`);
  const caption = `npm run bench:memory · ${settings.model} · ${report.runs.ours.load.requests} requests in the first panel · measured ${report.measuredAt.slice(0, 10)} on ${report.machine.cpus} cores, Node ${process.version}`;
  await writeFile(path.join(outDir, 'memory-curve.svg'), rssChart(chartPanels(runs, settings), caption));
}

const mb = (n: number) => `${Math.round(n)} MB`;
const pair = (ours: number, baseline: number | undefined, unit: (n: number) => string = mb) => (baseline === undefined ? unit(ours) : `${unit(ours)} / ${unit(baseline)}`);

/** The summary as Markdown table lines: each figure as ours / baseline, beside its target. */
export function summaryTable(report: MemoryReport, runs: MemoryRuns, settings: ReportSettings): string[] {
  const { ours, oursLlm, base, baseLlm, driftOn, driftOff, driftBase, pause, lows } = runs;
  const { clients, seconds, driftQuestions, baseline } = settings;
  const b = (f: (run: LoadRun) => number) => (base ? f(base) : undefined);
  const bl = (f: (run: LoadRun) => number) => (baseLlm ? f(baseLlm) : undefined);
  return [
    '\n| figure | ours / baseline | target |\n| --- | --- | --- |',
    `| startup RSS (listening) | ${pair(ours.startupMb, b((r) => r.startupMb))} | ≤ 60 MB |`,
    `| RSS after the first answer | ${pair(ours.firstAnswerMb, b((r) => r.firstAnswerMb))} | ≤ 180 MB |`,
    `| first answer latency | ${pair(ours.firstAnswerMs, b((r) => r.firstAnswerMs), (n) => `${Math.round(n)} ms`)} | |`,
    `| peak, ${clients} clients × ${seconds} s, extractive | ${pair(ours.peakMb, b((r) => r.peakMb))} | ≤ 256 MB |`,
    `| peak, ${clients} clients × ${seconds} s, fake LLM | ${pair(oursLlm.peakMb, bl((r) => r.peakMb))} | ≤ 256 MB |`,
    `| ask p50 / p99 under load, extractive | ${ours.load.p50Ms} / ${ours.load.p99Ms} ms${base ? ` vs ${base.load.p50Ms} / ${base.load.p99Ms} ms` : ''} | |`,
    `| drift over ${driftQuestions} questions | ${driftOn.driftPercent}% on, ${driftOff.driftPercent}% off${driftBase ? ` / ${driftBase.driftPercent}%` : ''} (first estimator: ${driftOn.windowDriftPercent}% on) | ≤ 5% |`,
    `| recycle pause p99 | ${pause.pauseP99Ms} ms (p50 ${pause.pauseP50Ms} ms, ${pause.recycles} recycles) | < 1000 ms |`,
    `| failed requests | ${report.failed.ours}${baseline ? ` / ${report.failed.baseline}` : ''} | 0 |`,
    ...lows.map((low) => `| limit ${low.limitMb} MB: peak, modes, retrieval, shed | ${low.peakMb} MB, ${low.modesEntered.join(' → ')}, ${JSON.stringify(low.load.retrievals)}, ${low.load.shed} shed of ${low.load.requests} | peak < ${low.limitMb} MB |`),
    `\nbreakdown: ${JSON.stringify(report.breakdown)}`,
  ];
}
