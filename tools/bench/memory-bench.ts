/** The memory benchmark's runs in order, each logged as it ends: `npm run bench:memory` minus argv and the report. */
import { completion, FakeLlm } from '../testing/fake-llm.js';
import { driftRun, type DriftRun } from './drift.js';
import { bareNodeMb, lexicalIndexDir } from './memory-target.js';
import { loadRun, pauseRun, type LoadRun, type LowLimitRun, type PauseRun, type RunSettings } from './memory-runs.js';

export interface MemoryBenchSettings extends RunSettings {
  /** Lowered limits, run in turn. */
  lowLimitsMb: number[];
  /** Run the naive baseline too, for figures as ours / baseline. */
  baseline: boolean;
}

/** Every run's result; the baseline's are undefined when it was not run. */
export interface MemoryRuns {
  runtimeMb: number;
  ours: LoadRun;
  oursLlm: LoadRun;
  lexical: LoadRun;
  base: LoadRun | undefined;
  baseLlm: LoadRun | undefined;
  driftOn: DriftRun;
  driftOff: DriftRun;
  driftBase: DriftRun | undefined;
  pause: PauseRun;
  lows: LowLimitRun[];
}

type Log = (line: string) => void;

async function loadRuns(settings: MemoryBenchSettings, llmUrl: string, log: Log) {
  const ours = await loadRun(settings, 'ours', null);
  log(`ours, extractive: startup ${ours.startupMb} MB, first answer ${ours.firstAnswerMb} MB (${ours.firstAnswerMs} ms), peak ${ours.peakMb} MB, ${ours.load.requests} requests, ${ours.load.failed} failed`);
  const oursLlm = await loadRun(settings, 'ours', llmUrl);
  log(`ours, fake LLM: peak ${oursLlm.peakMb} MB, ${oursLlm.load.requests} requests, ${oursLlm.load.failed} failed`);
  // Lexical only (no model found): what a keyword-only degraded mode would cost.
  const lexical = await loadRun(settings, 'ours', null, { INDEX_DIR: lexicalIndexDir(settings) });
  log(`ours, keyword search only: first answer ${lexical.firstAnswerMb} MB, peak ${lexical.peakMb} MB`);
  const base = settings.baseline ? await loadRun(settings, 'baseline', null) : undefined;
  if (base) log(`baseline, extractive: startup ${base.startupMb} MB, peak ${base.peakMb} MB, ${base.load.failed} failed`);
  const baseLlm = settings.baseline ? await loadRun(settings, 'baseline', llmUrl) : undefined;
  if (baseLlm) log(`baseline, fake LLM: peak ${baseLlm.peakMb} MB, ${baseLlm.load.failed} failed`);
  return { ours, oursLlm, lexical, base, baseLlm };
}

async function driftRuns(settings: MemoryBenchSettings, log: Log) {
  const driftOn = await driftRun(settings, 'ours, recycling on', 'ours', true);
  log(`drift, recycling on: ${driftOn.earlyMb} → ${driftOn.lateMb} MB (${driftOn.driftPercent}%; first estimator ${driftOn.windowDriftPercent}%), ${driftOn.recycles} recycles, ${driftOn.load.failed} failed`);
  log(`  span medians: ${driftOn.spanMedianMb.join(' ')}`);
  const driftOff = await driftRun(settings, 'ours, recycling off', 'ours', false);
  log(`drift, recycling off: ${driftOff.earlyMb} → ${driftOff.lateMb} MB (${driftOff.driftPercent}%; first estimator ${driftOff.windowDriftPercent}%), ${driftOff.load.failed} failed`);
  const driftBase = settings.baseline ? await driftRun(settings, 'baseline', 'baseline', false) : undefined;
  if (driftBase) log(`drift, baseline: ${driftBase.earlyMb} → ${driftBase.lateMb} MB (${driftBase.driftPercent}%; first estimator ${driftBase.windowDriftPercent}%)`);
  return { driftOn, driftOff, driftBase };
}

async function lowLimitRuns(settings: MemoryBenchSettings, log: Log): Promise<LowLimitRun[]> {
  const lows: LowLimitRun[] = [];
  for (const lowLimitMb of settings.lowLimitsMb) {
    const run = await loadRun(settings, 'ours', null, { MEMORY_LIMIT_MB: String(lowLimitMb) });
    lows.push({ limitMb: lowLimitMb, ...run });
    log(`limit ${lowLimitMb} MB: peak ${run.peakMb} MB, modes ${run.modesEntered.join(', ')}, retrieval ${JSON.stringify(run.load.retrievals)}, ${run.load.shed} shed, ${run.load.failed} failed`);
  }
  return lows;
}

/**
 * Load with and without an LLM (ours, keyword-only, the baseline), drift with recycling on and off,
 * the recycle pause, then the lowered limits. A fake LLM on loopback stands in for the real one.
 */
export async function runMemoryBench(settings: MemoryBenchSettings, log: Log): Promise<MemoryRuns> {
  const fakeLlm = await new FakeLlm().start();
  fakeLlm.record = false;
  // A model that takes a moment to write, and cites the first passage.
  fakeLlm.respond = () => ({ delayMs: 150, body: completion('From the handbook: see the first passage [1].') });
  try {
    const runtimeMb = await bareNodeMb();
    log(`bare node process: ${runtimeMb} MB`);
    const loads = await loadRuns(settings, fakeLlm.url, log);
    const drifts = await driftRuns(settings, log);
    const pause = await pauseRun(settings);
    log(`recycle pause: p50 ${pause.pauseP50Ms} ms, p99 ${pause.pauseP99Ms} ms over ${pause.recycles} recycles`);
    const lows = await lowLimitRuns(settings, log);
    return { runtimeMb, ...loads, ...drifts, pause, lows };
  } finally {
    await fakeLlm.stop();
  }
}
